/**
 * The print schedule's properties over many seeded random instances (the same instances every
 * run): no two plates overlap on a printer, no plate inside an outage or before its jobs'
 * release, every job's parts inside its printer's bed, plate durations by technology, the late
 * list exact and its `unavoidable` flag true to the bound; on one printer the plan meets every
 * due date exactly when some order does (brute force over all orders, and Jackson's
 * cumulative test); an outage declared mid-plan moves the plates it hits; same input → same plan.
 */
import { describe, expect, it } from 'vitest';
import { ScanError } from '../errors.js';
import type { Technology } from './catalogue.js';
import { partFits, planSchedule, PLATE_GAP_MM, type SchedJob, type SchedPrinter, type SchedulePlan } from './schedule.js';

const NOW = '2026-12-01T08:00:00.000Z';
const T0 = Date.parse(NOW);
const H = 3_600_000;
const at = (hours: number) => new Date(T0 + hours * H).toISOString();
const ms = (s: string) => Date.parse(s);

/** A fixed pseudo-random sequence (LCG). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const TECH: Technology[] = ['FDM', 'SLA', 'SLS', 'PolyJet'];

function instance(seed: number, o: { printers?: number; jobs?: number; outages?: boolean; tech?: Technology } = {}): { printers: SchedPrinter[]; jobs: SchedJob[] } {
  const r = rng(seed);
  const int = (a: number, b: number) => a + Math.floor(r() * (b - a + 1));
  const printers: SchedPrinter[] = Array.from({ length: o.printers ?? int(1, 4) }, (_, i) => {
    const outages: SchedPrinter['outages'] = [];
    if (o.outages !== false && r() < 0.4) {
      const from = r() * 30;
      outages.push({ from: at(from), to: r() < 0.2 ? null : at(from + 1 + r() * 12) });
    }
    return { id: `p${i}`, technology: o.tech ?? TECH[int(0, 3)]!, buildVolume_mm: [int(120, 300), int(120, 300), int(100, 250)], outages };
  });
  const jobs: SchedJob[] = Array.from({ length: o.jobs ?? int(1, 14) }, (_, i) => ({
    id: `j${String(i).padStart(2, '0')}`,
    parts: Array.from({ length: int(1, 4) }, (_, k) => ({ id: `part${k}`, bbox_mm: [int(10, 160), int(10, 160), int(10, 200)] as [number, number, number] })),
    duration_s: int(1, 40) * 900,
    due: r() < 0.15 ? null : at(int(1, 60)),
    earliest: r() < 0.3 ? at(r() * 10) : NOW,
    ...(r() < 0.2 ? { printerIds: [`p${int(0, printers.length - 1)}`] } : {}),
    ...(r() < 0.8 ? { material: ['m1', 'm2'][int(0, 1)]! } : {}),
  }));
  return { printers, jobs };
}

/** The earliest end of a job alone on a printer with only its outages in the way (Infinity: never). */
function aloneEnd(p: SchedPrinter, j: SchedJob): number {
  const dur = Math.round(j.duration_s * 1000);
  let s = Math.max(T0, ms(j.earliest));
  const outs = p.outages.map((x) => ({ a: ms(x.from), b: x.to === null ? Infinity : Math.max(ms(x.from), ms(x.to)) })).sort((x, y) => x.a - y.a);
  for (const x of outs) {
    if (x.b <= s) continue;
    if (x.a >= s + dur) break;
    s = x.b;
  }
  return s + dur;
}

/** Every property a plan must have, checked from the plan and its input alone. */
function checkPlan(printers: SchedPrinter[], jobs: SchedJob[], plan: SchedulePlan): void {
  const byPrinter = new Map(printers.map((p) => [p.id, p]));
  const byJob = new Map(jobs.map((j) => [j.id, j]));
  const endOf = new Map<string, number>();
  const platesOf = new Map<string, SchedulePlan['plates']>();
  for (const pl of plan.plates) {
    const p = byPrinter.get(pl.printerId)!;
    expect(p, pl.printerId).toBeDefined();
    const s = ms(pl.start);
    const e = ms(pl.end);
    expect(e).toBeGreaterThan(s);
    expect(s).toBeGreaterThanOrEqual(T0);
    // No plate inside an outage.
    for (const o of p.outages) {
      const a = ms(o.from);
      const b = o.to === null ? Infinity : ms(o.to);
      expect(s < b && a < e, `plate ${pl.jobIds} on ${p.id} ${pl.start}–${pl.end} meets outage ${o.from}–${o.to}`).toBe(false);
    }
    // Parts: each job's parts fit the printer and lie on its bed, apart by the gap.
    const rects = pl.parts.map((x) => {
      const [jobId, partId] = x.id.split('/') as [string, string];
      const part = byJob.get(jobId)!.parts.find((q) => q.id === partId)!;
      expect(partFits(part.bbox_mm, p.buildVolume_mm)).toBe(true);
      // The box turned by turn_deg about z (its rectangle's extents then), then the packer's quarter turn.
      const a = (x.turn_deg * Math.PI) / 180;
      const [c, sn] = [Math.abs(Math.cos(a)), Math.abs(Math.sin(a))];
      const [tw, td] = [part.bbox_mm[0] * c + part.bbox_mm[1] * sn, part.bbox_mm[0] * sn + part.bbox_mm[1] * c];
      const [w, d] = x.rotated ? [td, tw] : [tw, td];
      expect(x.x).toBeGreaterThanOrEqual(-1e-6);
      expect(x.y).toBeGreaterThanOrEqual(-1e-6);
      expect(x.x + w).toBeLessThanOrEqual(p.buildVolume_mm[0] + 1e-6);
      expect(x.y + d).toBeLessThanOrEqual(p.buildVolume_mm[1] + 1e-6);
      return { x0: x.x, y0: x.y, x1: x.x + w, y1: x.y + d };
    });
    for (let i = 0; i < rects.length; i++) {
      for (let k = i + 1; k < rects.length; k++) {
        const a = rects[i]!;
        const b = rects[k]!;
        const apart = a.x1 + PLATE_GAP_MM <= b.x0 + 1e-6 || b.x1 + PLATE_GAP_MM <= a.x0 + 1e-6 || a.y1 + PLATE_GAP_MM <= b.y0 + 1e-6 || b.y1 + PLATE_GAP_MM <= a.y0 + 1e-6;
        expect(apart, `parts ${pl.parts[i]!.id} and ${pl.parts[k]!.id} overlap`).toBe(true);
      }
    }
    const jobsHere = pl.jobIds.map((id) => byJob.get(id)!);
    for (const j of jobsHere) {
      expect(s).toBeGreaterThanOrEqual(ms(j.earliest));
      if (j.printerIds) expect(j.printerIds).toContain(p.id);
      endOf.set(j.id, Math.max(endOf.get(j.id) ?? 0, e));
      platesOf.set(j.id, [...(platesOf.get(j.id) ?? []), pl]);
    }
    // Plate duration by technology (a shared plate; a job over several plates shares none).
    if (jobsHere.length > 1) {
      const durs = jobsHere.map((j) => Math.round(j.duration_s * 1000));
      expect(e - s).toBe(p.technology === 'FDM' ? durs.reduce((x, y) => x + y, 0) : Math.max(...durs));
      expect(new Set(jobsHere.map((j) => j.material ?? '')).size).toBe(1);
    }
  }
  // No two plates overlap on a printer.
  for (const p of printers) {
    const mine = plan.plates.filter((x) => x.printerId === p.id).map((x) => [ms(x.start), ms(x.end)] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < mine.length; i++) expect(mine[i]![0], `plates overlap on ${p.id}`).toBeGreaterThanOrEqual(mine[i - 1]![1]);
  }
  // Every job planned (all its parts, once) or unplaceable with a reason; never both.
  const unplaceable = new Set(plan.unplaceable.map((u) => u.jobId));
  for (const u of plan.unplaceable) expect(u.reason.length).toBeGreaterThan(10);
  for (const j of jobs) {
    const pls = platesOf.get(j.id) ?? [];
    expect(pls.length > 0, `${j.id}: planned and unplaceable`).toBe(!unplaceable.has(j.id));
    if (pls.length === 0) continue;
    const ids = pls.flatMap((pl) => pl.parts.filter((x) => x.id.startsWith(`${j.id}/`)).map((x) => x.id)).sort();
    expect(ids).toEqual(j.parts.map((q) => `${j.id}/${q.id}`).sort());
    if (pls.length > 1) {
      // A job over several plates: one printer, back to back, its whole duration, alone on each.
      expect(new Set(pls.map((x) => x.printerId)).size).toBe(1);
      for (let i = 1; i < pls.length; i++) expect(pls[i]!.start).toBe(pls[i - 1]!.end);
      expect(ms(pls.at(-1)!.end) - ms(pls[0]!.start)).toBe(Math.round(j.duration_s * 1000));
      for (const x of pls) expect(x.jobIds).toEqual([j.id]);
    }
  }
  // The late list: exactly the jobs that end after their due date; unavoidable exactly when the bound says so.
  const late = jobs.filter((j) => j.due !== null && endOf.has(j.id) && endOf.get(j.id)! > ms(j.due)).map((j) => j.id).sort();
  expect(plan.late.map((l) => l.jobId).sort()).toEqual(late);
  for (const l of plan.late) {
    const j = byJob.get(l.jobId)!;
    expect(ms(l.end)).toBe(endOf.get(j.id));
    const allowed = printers.filter((p) => (!j.printerIds || j.printerIds.includes(p.id)) && j.parts.every((q) => partFits(q.bbox_mm, p.buildVolume_mm)));
    const bound = Math.min(...allowed.map((p) => aloneEnd(p, j)));
    expect(ms(l.earliestEnd)).toBe(bound);
    expect(l.unavoidable).toBe(bound > ms(j.due!));
    // Nothing ends before the bound: moving the job earlier could not beat it.
    expect(ms(l.end)).toBeGreaterThanOrEqual(bound);
  }
  const last = Math.max(T0, ...plan.plates.map((x) => ms(x.end)));
  expect(plan.makespan_s).toBe((last - T0) / 1000);
}

describe('planSchedule on seeded random instances', () => {
  it('300 instances (1–4 printers of every technology, outages, releases, allowed printers, two materials): every property holds', () => {
    let plates = 0;
    let shared = 0;
    let late = 0;
    let unplaceable = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const { printers, jobs } = instance(seed);
      const plan = planSchedule(printers, jobs, NOW);
      checkPlan(printers, jobs, plan);
      plates += plan.plates.length;
      shared += plan.plates.filter((x) => x.jobIds.length > 1).length;
      late += plan.late.length;
      unplaceable += plan.unplaceable.length;
    }
    // The instances reach every branch: shared plates, late jobs, unplaceable ones.
    expect(plates).toBeGreaterThan(500);
    expect(shared).toBeGreaterThan(10);
    expect(late).toBeGreaterThan(10);
    expect(unplaceable).toBeGreaterThan(5);
  });

  it('same input → same plan; the order the jobs come in does not matter', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const { printers, jobs } = instance(seed);
      const plan = planSchedule(printers, jobs, NOW);
      expect(JSON.stringify(planSchedule(printers, jobs, NOW))).toBe(JSON.stringify(plan));
      const r = rng(seed * 7);
      const shuffled = [...jobs].sort(() => r() - 0.5);
      expect(planSchedule(printers, shuffled, NOW)).toEqual(plan);
    }
  });
});

/** Every order of the jobs on one printer, back to back from their releases: does one meet every due date? */
function someOrderMeetsAll(jobs: SchedJob[]): boolean {
  const perm = (rest: SchedJob[], t: number): boolean => {
    if (rest.length === 0) return true;
    return rest.some((j, i) => {
      const end = Math.max(t, ms(j.earliest)) + Math.round(j.duration_s * 1000);
      return (j.due === null || end <= ms(j.due)) && perm([...rest.slice(0, i), ...rest.slice(i + 1)], end);
    });
  };
  return perm(jobs, T0);
}

describe('due dates on one printer', () => {
  it('all released now: the plan meets every due date exactly when Jackson\'s cumulative test (and brute force over all orders) says some order can', () => {
    let feasible = 0;
    let infeasible = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const { printers, jobs } = instance(1000 + seed, { printers: 1, jobs: 2 + (seed % 5), outages: false, tech: 'FDM' });
      const released = jobs.map((j) => ({ ...j, earliest: NOW, printerIds: undefined }));
      const fit = released.filter((j) => j.parts.every((q) => partFits(q.bbox_mm, printers[0]!.buildVolume_mm)));
      const plan = planSchedule(printers, fit, NOW);
      checkPlan(printers, fit, plan);
      // Jackson: in due-date order, every prefix ends by its last due date.
      const edd = [...fit].sort((a, b) => (a.due === null ? Infinity : ms(a.due)) - (b.due === null ? Infinity : ms(b.due)));
      let t = T0;
      const jackson = edd.every((j) => (t += Math.round(j.duration_s * 1000)) <= (j.due === null ? Infinity : ms(j.due)));
      expect(someOrderMeetsAll(fit)).toBe(jackson);
      expect(plan.late.length === 0, `seed ${seed}`).toBe(jackson);
      if (jackson) feasible++;
      else infeasible++;
    }
    expect(feasible).toBeGreaterThan(20);
    expect(infeasible).toBeGreaterThan(20);
  });

  it('with releases EDD is a heuristic: a late job some order could save is never called unavoidable; the known case where it fails says so', () => {
    let lateButFeasible = 0;
    let lateAndInfeasible = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const { printers, jobs } = instance(5000 + seed, { printers: 1, jobs: 2 + (seed % 5), outages: false, tech: 'FDM' });
      const fit = jobs.map((j) => ({ ...j, printerIds: undefined })).filter((j) => j.parts.every((q) => partFits(q.bbox_mm, printers[0]!.buildVolume_mm)));
      const plan = planSchedule(printers, fit, NOW);
      checkPlan(printers, fit, plan);
      if (plan.late.length === 0) continue;
      if (someOrderMeetsAll(fit)) {
        lateButFeasible++;
        for (const l of plan.late) expect(l.unavoidable).toBe(false);
      } else lateAndInfeasible++;
    }
    expect(lateAndInfeasible).toBeGreaterThan(20);
    expect(lateButFeasible).toBe(0);
    // b (released at 1 h, due at 4 h) goes first by due date and leaves no room for a before it;
    // a first, then b, meets both. The plan says a is late because of the heuristic.
    const a: SchedJob = { id: 'a', parts: [{ id: 'x', bbox_mm: [50, 50, 50] }], duration_s: 2 * 3600, due: at(4.5), earliest: NOW, material: 'pla' };
    const b: SchedJob = { id: 'b', parts: [{ id: 'x', bbox_mm: [50, 50, 50] }], duration_s: 2 * 3600, due: at(4), earliest: at(1), material: 'petg' };
    expect(someOrderMeetsAll([a, b])).toBe(true);
    const plan = planSchedule([{ id: 'F', technology: 'FDM', buildVolume_mm: [250, 210, 220], outages: [] }], [a, b], NOW);
    expect(plan.late).toEqual([{ jobId: 'a', due: at(4.5), end: at(5), unavoidable: false, earliestEnd: at(2), reason: expect.stringMatching(/heuristic/) }]);
  });
});

const fdm = (id: string, tech: Technology = 'FDM', outages: SchedPrinter['outages'] = []): SchedPrinter => ({ id, technology: tech, buildVolume_mm: [250, 210, 220], outages });
const job = (id: string, hours: number, due: number | null, o: Partial<SchedJob> = {}): SchedJob => ({
  id,
  parts: [{ id: 'a', bbox_mm: [60, 50, 40] }],
  duration_s: hours * 3600,
  due: due === null ? null : at(due),
  earliest: NOW,
  material: 'pla',
  ...o,
});

describe('outages re-plan', () => {
  it('an outage declared mid-plan on a printer moves every plate it hits, and nothing lands in it (200 instances)', () => {
    let moved = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const { printers, jobs } = instance(9000 + seed, { outages: false });
      const before = planSchedule(printers, jobs, NOW);
      const victim = before.plates[Math.floor(before.plates.length / 2)];
      if (!victim) continue;
      const from = (ms(victim.start) + ms(victim.end)) / 2;
      const to = seed % 3 === 0 ? null : new Date(from + 8 * H).toISOString();
      const down = printers.map((p) => (p.id === victim.printerId ? { ...p, outages: [{ from: new Date(from).toISOString(), to }] } : p));
      const after = planSchedule(down, jobs, NOW);
      checkPlan(down, jobs, after);
      const hit = after.plates.filter((x) => x.printerId === victim.printerId && ms(x.start) < (to === null ? Infinity : ms(to)) && from < ms(x.end));
      expect(hit).toEqual([]);
      // The plate the outage fell in is no longer there as it was.
      expect(after.plates.some((x) => x.printerId === victim.printerId && x.start === victim.start && x.end === victim.end)).toBe(false);
      moved++;
    }
    expect(moved).toBeGreaterThan(150);
  });

  it('a printer down now: its jobs go to the other printer; down until further notice with no other that fits: unplaceable, saying why', () => {
    const jobs = [job('a', 2, 10), job('b', 3, 10), job('c', 1, 4)];
    const plan = planSchedule([fdm('A', 'FDM', [{ from: NOW, to: null }]), fdm('B')], jobs, NOW);
    expect(new Set(plan.plates.map((x) => x.printerId))).toEqual(new Set(['B']));
    expect(plan.late).toEqual([]);
    const alone = planSchedule([fdm('A', 'FDM', [{ from: at(-1), to: null }])], jobs, NOW);
    expect(alone.plates).toEqual([]);
    expect(alone.unplaceable.map((u) => u.jobId)).toEqual(['c', 'a', 'b']);
    expect(alone.unplaceable[0]!.reason).toMatch(/down until further notice.*A/);
    // Back up after 5 h: everything waits for it.
    const later = planSchedule([fdm('A', 'FDM', [{ from: at(-1), to: at(5) }])], jobs, NOW);
    expect(Math.min(...later.plates.map((x) => ms(x.start)))).toBe(T0 + 5 * H);
  });
});

describe('plates, late jobs, bad input', () => {
  it('small parts of the same material share a plate: FDM takes the sum, SLA the longest; another material gets its own plate', () => {
    const jobs = [job('a', 2, 20), job('b', 3, 20), job('c', 1, 20, { material: 'petg' })];
    const f = planSchedule([fdm('F')], jobs, NOW);
    expect(f.plates.map((x) => [x.jobIds, (ms(x.end) - ms(x.start)) / H])).toEqual([[['a', 'b'], 5], [['c'], 1]]);
    expect(f.plates[0]!.parts.map((x) => x.id)).toEqual(expect.arrayContaining(['a/a', 'b/a']));
    const s = planSchedule([fdm('S', 'SLA')], jobs, NOW);
    expect(s.plates.map((x) => [x.jobIds, (ms(x.end) - ms(x.start)) / H])).toEqual([[['a', 'b'], 3], [['c'], 1]]);
    expect(s.makespan_s).toBe(4 * 3600);
  });

  it('a plate is not shared when that would make a job on it late, or when the parts do not fit on one bed', () => {
    const tight = planSchedule([fdm('F')], [job('a', 2, 2), job('b', 3, 20)], NOW);
    expect(tight.plates.map((x) => x.jobIds)).toEqual([['a'], ['b']]);
    const big = (id: string) => job(id, 1, 20, { parts: [{ id: 'a', bbox_mm: [200, 150, 40] }] });
    expect(planSchedule([fdm('F', 'SLA')], [big('a'), big('b')], NOW).plates.map((x) => x.jobIds)).toEqual([['a'], ['b']]);
  });

  it('a job whose parts need two plates gets them back to back, its duration shared by volume', () => {
    const j = job('two', 4, 20, { parts: [{ id: 'x', bbox_mm: [200, 200, 50] }, { id: 'y', bbox_mm: [200, 200, 150] }] });
    const plan = planSchedule([fdm('F')], [j], NOW);
    checkPlan([fdm('F')], [j], plan);
    expect(plan.plates.map((x) => (ms(x.end) - ms(x.start)) / H)).toEqual([1, 3]);
  });

  it('late: unavoidable when even first and alone it ends after the due date; otherwise the plan says it is the heuristic', () => {
    const plan = planSchedule([fdm('F')], [job('long', 5, 3), job('x', 2, 2, { material: 'petg' })], NOW);
    const byId = Object.fromEntries(plan.late.map((l) => [l.jobId, l]));
    expect(byId.long).toMatchObject({ unavoidable: true, earliestEnd: at(5), end: at(7), reason: expect.stringMatching(/cannot be met/) });
    // Two printers, a job released later with a late due date takes the fast printer first.
    const parts = [{ id: 'a', bbox_mm: [200, 200, 50] as [number, number, number] }];
    const printers = [fdm('A'), { ...fdm('B'), buildVolume_mm: [100, 100, 100] as [number, number, number] }];
    const p2 = planSchedule(printers, [job('early', 4, 4.5, { parts }), job('small', 1, 1)], NOW);
    checkPlan(printers, [job('early', 4, 4.5, { parts }), job('small', 1, 1)], p2);
    expect(p2.late).toEqual([]);
    expect(p2.unplaceable).toEqual([]);
  });

  it('a part larger than every printer allowed is unplaceable, naming them; bad input names the field', () => {
    const plan = planSchedule([fdm('F')], [job('huge', 1, 5, { parts: [{ id: 'a', bbox_mm: [300, 300, 10] }] }), job('other', 1, 5, { printerIds: ['nope'] })], NOW);
    expect(plan.unplaceable).toEqual([
      { jobId: 'huge', reason: expect.stringMatching(/larger than the build volume.*F/) },
      { jobId: 'other', reason: expect.stringMatching(/nope.*is known/) },
    ]);
    // No printer registered at all: said so, not "none of its printers () is known".
    expect(planSchedule([], [job('lonely', 1, 5)], NOW).unplaceable).toEqual([{ jobId: 'lonely', reason: 'no printer is registered yet' }]);
    expect(planSchedule([fdm('F')], [job('none', 1, 5, { printerIds: [] })], NOW).unplaceable).toEqual([{ jobId: 'none', reason: 'it allows no printer' }]);
    const bad = (f: () => unknown, what: RegExp) => {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(ScanError);
        expect((e as Error).message).toMatch(what);
      }
    };
    bad(() => planSchedule([fdm('F')], [job('a', 1, 5, { earliest: 'tomorrow' })], NOW), /jobs\[0\]\.earliest: "tomorrow"/);
    bad(() => planSchedule([fdm('F')], [job('a', 0, 5)], NOW), /jobs\[0\]\.duration_s/);
    bad(() => planSchedule([fdm('F'), fdm('F')], [], NOW), /printers\[1\]\.id/);
    bad(() => planSchedule([fdm('F', 'FDM', [{ from: 'x', to: null }])], [], NOW), /printers\[0\]\.outages\[0\]\.from/);
    bad(() => planSchedule([], [], 'now'), /now/);
  });
});

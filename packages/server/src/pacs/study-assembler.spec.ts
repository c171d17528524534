/**
 * When a received study is complete: silence for the quiet time, judged after this process has
 * read what waited for it, and not while bytes still arrive where the study's instances came
 * from, nor while the association that sent its last instance is open (up to a limit). A loaded
 * test machine stalls the server, or the sender, for longer than the specs' 1-2 s quiet times;
 * before this, a stall with the next instance waiting in a socket split a 28-instance study.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AcceptedInstance } from './receive-instance.js';
import type { PacsRoute } from './routing.js';
import { heldUntil, type AssociationActivity } from './association-hold.js';
import { applyNote, countRefusal, senderRefusals, StudyAssembler, type PendingStudy, type ReceiveSource, type StudyNote } from './study-assembler.js';

const source: ReceiveSource = { route: { id: 'route-1' } as PacsRoute, via: 'c-store', callingAe: 'SENDER', calledAe: 'US', remoteAddress: '127.0.0.1' };

function instance(k: number, patientKey = 'a'.repeat(64)): AcceptedInstance {
  return { bytes: new Uint8Array(10), studyUid: '2.25.1', seriesUid: '2.25.2', sopUid: `2.25.3.${k}`, instanceNumber: k, imagesInAcquisition: null, patientKey, by: 'checked' };
}

/** An assembler whose completions are listed in order. */
function assembler(quietMs: number): { a: StudyAssembler; done: PendingStudy[]; completed: (n: number) => Promise<void> } {
  const done: PendingStudy[] = [];
  const waiting: { n: number; resolve: () => void }[] = [];
  const a = new StudyAssembler(quietMs, async (st) => {
    done.push(st);
    for (const w of waiting.filter((w) => done.length >= w.n)) w.resolve();
  });
  const completed = (n: number): Promise<void> => (done.length >= n ? Promise.resolve() : new Promise((resolve) => waiting.push({ n, resolve })));
  return { a, done, completed };
}

/** This thread busy for `ms` (a GC pause, or a loaded machine's scheduler). */
function stall(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

const opened: (Server | Socket)[] = [];
afterEach(() => {
  for (const o of opened.splice(0)) {
    if ('destroy' in o) o.destroy();
    else o.close();
  }
});

describe('StudyAssembler', () => {
  it('a stall longer than the quiet time, with the next instance waiting in a socket, does not end the study', async () => {
    const { a, done, completed } = assembler(200);
    // Each byte that arrives is one more instance of the study (as the listener adds a C-STORE).
    let k = 0;
    const server = createServer((s) => s.on('data', (b) => b.forEach(() => a.add(source, instance(++k)))));
    opened.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    // Accepted here too, not only connected there: the server's socket is read from then on.
    const accepted = new Promise<void>((r) => server.once('connection', () => r()));
    const client = createConnection((server.address() as { port: number }).port, '127.0.0.1');
    opened.push(client);
    await Promise.all([accepted, new Promise<void>((r) => client.once('connect', r))]);
    a.add(source, instance(++k));
    // In the check phase the loop's next turn runs expired timers before it reads sockets: the
    // timer armed above expires during the stall, while the byte written now is already here.
    await new Promise<void>((r) =>
      setImmediate(() => {
        client.write(Uint8Array.of(1));
        stall(400);
        r();
      }),
    );
    await completed(1);
    expect(done.map((st) => st.instances.size)).toEqual([2]);
    expect(a.size).toBe(0);
    await a.close(1000);
  });

  it('waits while a watched connection still receives, then ends the study once it is quiet', async () => {
    const { a, done, completed } = assembler(100);
    let receiving = true;
    const unwatch = a.watch((key) => (receiving && key.endsWith('|2.25.1') ? Date.now() : 0));
    a.add(source, instance(1));
    a.add(source, instance(2));
    // Ten quiet times with bytes arriving: not complete.
    await new Promise((r) => setTimeout(r, 1000));
    expect(done).toEqual([]);
    expect(a.held()).toEqual({ studies: 1, instances: 2, bytes: 20 });
    receiving = false;
    await completed(1);
    expect(done.map((st) => st.instances.size)).toEqual([2]);
    unwatch();
    // Unwatched, a study ends after its quiet time whatever that source says.
    receiving = true;
    a.add(source, instance(3));
    await completed(2);
    expect(done.map((st) => st.instances.size)).toEqual([2, 1]);
    await a.close(1000);
  });

  it('closing completes the studies still waiting at once, marked cut short, and takes nothing after', async () => {
    const { a, done } = assembler(60_000);
    a.add(source, instance(1));
    a.add(source, instance(2));
    const closed = await a.close(10_000);
    expect(closed).toEqual({ cutShort: 1, unfinished: [] });
    expect(done.map((st) => [st.instances.size, st.cutShort])).toEqual([[2, true]]);
    expect(() => a.add(source, instance(3))).toThrow(/closed/);
  });

  it('closing returns the studies whose completion did not end within the limit', async () => {
    const a = new StudyAssembler(60_000, () => new Promise<void>(() => {}));
    a.add(source, instance(1));
    const { cutShort, unfinished } = await a.close(50);
    expect(cutShort).toBe(1);
    expect(unfinished.map((st) => st.instances.size)).toEqual([1]);
  });

  it('a study with an instance still being stored (spooled before it is acknowledged) does not end until it is stored', async () => {
    const quiet = 50;
    const { a, done, completed } = assembler(quiet);
    a.add(source, instance(1));
    const { study } = a.begin(source, instance(2));
    // The quiet time passes many times over while instance 2 is written.
    await new Promise((r) => setTimeout(r, 20 * quiet));
    expect(done).toEqual([]);
    expect(a.commit(study, instance(2), 'row-2')).toEqual({});
    await completed(1);
    expect(done.map((st) => [...st.instances.keys()])).toEqual([['2.25.3.1', '2.25.3.2']]);
    // A first instance that could not be stored leaves no study behind; one under way when closing starts is waited for.
    const failed = a.begin(source, instance(3)).study;
    expect(a.abort(failed)).toBe(true);
    expect(a.size).toBe(0);
    const late = a.begin(source, instance(4)).study;
    const closing = a.close(10_000);
    expect(a.commit(late, instance(4))).toEqual({});
    expect(await closing).toEqual({ cutShort: 1, unfinished: [] });
    expect(done.map((st) => st.instances.size)).toEqual([2, 1]);
    expect(() => a.begin(source, instance(5))).toThrow(/closed/);
  });

  it('an instance of another patient under the study\'s UID is refused, not added; the study counts it', async () => {
    const { a, done } = assembler(60_000);
    expect(a.add(source, instance(1))).toEqual({ key: 'route-1|2.25.1', otherPatient: false });
    expect(a.add(source, instance(2, 'b'.repeat(64)))).toEqual({ key: 'route-1|2.25.1', otherPatient: true });
    expect(a.add(source, instance(3))).toMatchObject({ otherPatient: false });
    expect(a.held()).toMatchObject({ studies: 1, instances: 2 });
    await a.close(10_000);
    expect(done.map((st) => [st.instances.size, st.otherPatient])).toEqual([[2, 1]]);
  });

  it('an open association holds the study through a sender\'s pause, until its release or the hold limit', async () => {
    const quiet = 100;
    const { a, done, completed } = assembler(quiet);
    const key = `${source.route.id}|2.25.1`;
    // The listener's view of one association (listener.ts keeps these per connection).
    const assoc: AssociationActivity = { lastStudy: key, lastDataAt: 0, lastInstanceAt: 0, released: false };
    const unwatch = a.watch((k) => heldUntil([assoc], k, Date.now(), 10 * quiet));
    const add = (k: number) => {
      a.add(source, instance(k));
      assoc.lastDataAt = assoc.lastInstanceAt = Date.now();
    };
    add(1);
    // The sender pauses 5 quiet times without a byte, then sends the next instance on the same association.
    await new Promise((r) => setTimeout(r, 5 * quiet));
    expect(done).toEqual([]);
    add(2);
    assoc.released = true;
    await completed(1);
    expect(done.map((st) => st.instances.size)).toEqual([2]);
    // Open and idle past the hold limit (10 quiet times after its last instance): the study ends.
    assoc.released = false;
    const t0 = Date.now();
    add(3);
    await completed(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(10 * quiet);
    expect(done.map((st) => st.instances.size)).toEqual([2, 1]);
    unwatch();
    await a.close(1000);
  });
});

describe('a sender\'s refusals (the listener\'s, per association)', () => {
  it('are noted against each study it touched once, a study joined later getting the earlier ones; read back, the same counts', async () => {
    const kept: { id: string; note: StudyNote }[] = [];
    const done: PendingStudy[] = [];
    const a = new StudyAssembler(60_000, async (st) => void done.push(st), async (st, note) => void kept.push({ id: st.id, note }));
    const r = senderRefusals();
    // As listener.ts counts them: every refusal, the first 5 reasons.
    const refuse = (why: string) => countRefusal(r, why);
    const x = a.add(source, instance(1)).key;
    refuse('A');
    await a.noteRefusedSince([x], r);
    await a.noteRefusedSince([x], r);
    // Another study (another route) touched after the first refusal.
    const y = a.add({ ...source, route: { id: 'route-2' } as PacsRoute }, instance(2)).key;
    await a.noteRefusedSince([y], r);
    for (const why of ['B', 'C', 'D', 'E', 'F', 'G']) refuse(why);
    // Two answers under way at once, and a key not pending: each refusal noted once per study.
    await Promise.all([a.noteRefusedSince([x, y, 'route-3|2.25.9'], r), a.noteRefusedSince([x, y], r)]);
    await a.close(10_000);
    expect(done.map((st) => [st.refused, st.refusals])).toEqual([
      [7, ['A', 'B', 'C', 'D', 'E']],
      [7, ['A', 'B', 'C', 'D', 'E']],
    ]);
    for (const st of done) {
      const notes = kept.filter((k) => k.id === st.id).map((k) => k.note);
      expect(notes).toEqual([
        { kind: 'refused', count: 1, reasons: ['A'] },
        { kind: 'refused', count: 6, reasons: ['B', 'C', 'D', 'E'] },
      ]);
      // Replayed as the spool does at a start after a kill.
      const back = { refused: 0, refusals: [] as string[] } as unknown as PendingStudy;
      for (const n of notes) applyNote(back, n);
      expect([back.refused, back.refusals]).toEqual([st.refused, st.refusals]);
    }
  });
});

describe('heldUntil', () => {
  const base = { lastDataAt: 1000, lastInstanceAt: 900, released: false };
  it('counts only associations whose last instance was of the study; an open one holds until the limit, a released one by its bytes', () => {
    expect(heldUntil([{ ...base, lastStudy: 'other' }], 'k', 5000, 10_000)).toBe(0);
    expect(heldUntil([{ ...base, lastStudy: 'k' }], 'k', 5000, 10_000)).toBe(5000);
    expect(heldUntil([{ ...base, lastStudy: 'k' }], 'k', 50_000, 10_000)).toBe(10_900);
    expect(heldUntil([{ ...base, lastStudy: 'k', released: true }], 'k', 5000, 10_000)).toBe(1000);
    expect(heldUntil([{ ...base, lastStudy: 'k', released: true }, { ...base, lastStudy: 'k', lastDataAt: 3000 }], 'k', 2000, 100)).toBe(3000);
  });
});

/**
 * `scan2print prepare` through the built binary on real CT. The phantom skull of
 * ct/philips-head-phantom-tilt, made by `scan2print convert --decimate-ratio 0.25` (the user's path, a
 * quarter of its triangles; the run convert.spec checks, made once per test run by
 * test/convert-cache.ts), split for a 120 × 120 × 120 mm printer: every part fits, is closed and
 * manifold (our counts and manifold-3d), every peg sits in its hole axis on axis, and the parts'
 * volume is the skull's within the connectors' volume; PrusaSlicer, when installed, loads every part
 * without repairs (required in CI, skipped locally without it).
 * A real region of the same CT (a piece of the head holder, mean ≈ 387 HU, which convert's table
 * removal takes out, and a separate 23 mm³ dense fragment) prepared with
 * dowels, hollowing and packed plates for a 100 × 100 × 20 mm printer: the fragment joined, the
 * cavity drained, the parts on one plate, and PrusaSlicer reading that plate's build items as
 * manifold objects inside the bed, apart by the gap. The synthetic box is in prepare.spec.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyPoint,
  checkAssembly,
  checkMesh,
  conditionMesh,
  cropVolume,
  DEFAULT_CONNECTORS,
  extractSurface,
  findSelfIntersections,
  importSeries,
  manifold3dCheck,
  read3mf,
  read3mfContent,
  thresholdVolume,
  write3mf,
  writeStlBinary,
  type Mesh,
  type PrepareOutput,
} from '@scan2print/core';
import { dataPath } from '../../../../test/data.js';
import { runScan2print } from '../../../../test/cli.js';
import { sharedConvert, TILTED_SKULL } from '../../../../test/convert-cache.js';
import { runTool } from '../../../../test/run-tool.js';
import { phantomFirstSlices } from '../../../../test/series-subset.js';
import type { PartJson } from '../../../../test/prepare-part-json.js';

let dir = '';
// Heavy synchronous WASM steps yield in between, so the test worker keeps answering the runner.
const breathe = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 's2p-prepare-ct-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A 3MF as read3mfContent reads it, parsed once per file: a packed plate holds several parts,
 * and reading the whole plate again for each part (and again for each check) was the same
 * parse many times over. The files are not written again once prepare has run.
 */
const contents = new Map<string, ReturnType<typeof read3mfContent>>();
function content(file: string): ReturnType<typeof read3mfContent> {
  let c = contents.get(file);
  if (!c) contents.set(file, (c = read3mfContent(new Uint8Array(readFileSync(file)), file)));
  return c;
}

/** The part's object (by name) from its 3MF, which may hold a whole plate of parts. */
function partMesh(file: string, name: string): Mesh {
  const c = content(file);
  const k = c.objects.findIndex((o) => o.name === name);
  if (k < 0) throw new Error(`${file}: no object named ${name}`);
  if (!c.mesh.groups) return c.mesh;
  const tris: number[] = [];
  for (let t = 0; t < c.mesh.groups.length; t++) if (c.mesh.groups[t] === k) tris.push(c.mesh.indices[3 * t]!, c.mesh.indices[3 * t + 1]!, c.mesh.indices[3 * t + 2]!);
  return { positions: c.mesh.positions, indices: Uint32Array.from(tris) };
}

/**
 * The parts as core's PrepareOutput needs them for checkAssembly: meshes in the print frame,
 * transforms, connectors. One part at a time with a breath in between: reading a skull part's
 * 3MF takes seconds, and eight in a row blocked the worker past the runner's 60 s RPC timeout.
 */
async function asOutput(parts: (PartJson & { name: string })[], connectors: PrepareOutput['connectors']): Promise<PrepareOutput> {
  const out: PrepareOutput['parts'] = [];
  for (const p of parts) {
    await breathe();
    const lps = partMesh(p.file, p.name);
    await breathe();
    const pos = new Float32Array(lps.positions.length);
    for (let v = 0; v < pos.length; v += 3) pos.set(applyPoint(p.printTransform, [lps.positions[v]!, lps.positions[v + 1]!, lps.positions[v + 2]!]), v);
    out.push({ name: p.name, mesh: { positions: pos, indices: lps.indices }, transform: p.printTransform } as PrepareOutput['parts'][number]);
  }
  return { parts: out, connectors } as PrepareOutput;
}

/** `prusa-slicer --info` per object of a 3MF: bounding box and manifold flag, in file order. */
async function slicerInfo(file: string): Promise<{ status: number | null; out: string; objects: { min: number[]; max: number[]; manifold: boolean }[] }> {
  const r = await runTool('prusa-slicer', ['--info', file]);
  const out = `${r.stdout}\n${r.stderr}`;
  const objects: { min: number[]; max: number[]; manifold: boolean }[] = [];
  for (const block of out.split(/^\[[^\]]+\]$/m).slice(1)) {
    const num = (k: string): number => Number(new RegExp(`^${k} = (\\S+)$`, 'm').exec(block)?.[1]);
    objects.push({ min: ['min_x', 'min_y', 'min_z'].map(num), max: ['max_x', 'max_y', 'max_z'].map(num), manifold: /^manifold = yes$/m.test(block) });
  }
  return { status: r.status, out, objects };
}

/**
 * PrusaSlicer reads the plate's 3MF: one manifold object per part, each placed by its build
 * item inside the bed (`bed_mm`), and no repair reported. Returns the objects for more checks.
 */
async function expectSlicerReadsPlate(file: string, parts: number, bed_mm: [number, number, number]): Promise<{ min: number[]; max: number[] }[]> {
  const info = await slicerInfo(file);
  expect(info.status, info.out).toBe(0);
  expect(info.objects, info.out).toHaveLength(parts);
  for (const o of info.objects) {
    expect(o.manifold, info.out).toBe(true);
    for (let k = 0; k < 3; k++) {
      expect(o.min[k]!, info.out).toBeGreaterThanOrEqual(-1e-3);
      expect(o.max[k]!, info.out).toBeLessThanOrEqual(bed_mm[k]! + 1e-3);
    }
  }
  expect(info.out).not.toMatch(/^(facets_reversed|open_edges|degenerate_facets|edges_fixed|facets_removed|facets_added|backwards_edges|normals_fixed)\s*=/m);
  return info.objects;
}

async function requireSlicer(ctx: { skip: (cond: boolean, note: string) => void }): Promise<boolean> {
  const which = await runTool('sh', ['-c', 'command -v prusa-slicer || true']);
  if (which.stdout.trim()) return true;
  if (process.env.CI === 'true') throw new Error('prusa-slicer is not installed (scripts/install-test-deps.sh installs it); CI requires it');
  ctx.skip(true, 'prusa-slicer is not installed here: skipped locally (CI=true requires it)');
  return false;
}

describe('scan2print prepare on a real CT region (the head holder): dowels, hollowing, packed plates', () => {
  interface RegionJson {
    parts: (PartJson & { name: string; plate: number })[];
    plates: { file: string; plate: number; parts: { name: string; x: number; y: number; rotated: boolean }[] }[];
    dowels: { joined: boolean; length_mm: number; diameter_mm: number; from_mm: number[]; to_mm: number[] }[];
    hollow: { wall_mm: number; voxel_mm: number; removed_mm3: number; holes: unknown[]; cavities: { holes: number }[]; closedVoids: number; minWall_mm: number };
    record: string;
  }
  let j: RegionJson;
  let region: Mesh;
  beforeAll(async () => {
    // 45 × 45 × 50 mm of ct/philips-head-phantom-1mm at 226 HU (the convert pipeline's surface and conditioning):
    // the head holder there, not bone (convert-crop.spec: table removal takes all of it), but a real printable solid.
    // Only the first 60 of its 140 slices are read: the box's z range [10, 60) lies in them, so the crop is
    // the whole series' crop (same grid and voxels) at 60/140 of the import.
    const ctDir = dataPath('ct/philips-head-phantom-1mm');
    const sources = phantomFirstSlices(60).sort().map((n) => ({ name: join(ctDir, n), read: async () => new Uint8Array(readFileSync(join(ctDir, n))) }));
    const ct = (await importSeries(sources, {}, {})).output.volume;
    const v = cropVolume(ct, { min_ijk: [380, 370, 10], max_ijk: [480, 470, 60] }).output;
    const labels = thresholdVolume(v, 226, 3071);
    const iso = await extractSurface(labels, { field: v, level: 226 });
    region = (await conditionMesh(iso.output, { grid: labels.grid, minShell_mm3: 1 })).output;
    const file = join(dir, 'region.3mf');
    writeFileSync(file, write3mf(region, { split: 'none', creationDate: '2026-11-30' }));
    const r = await runScan2print(['prepare', file, '--printer', '100x100x20', '--dowels', '--hollow', '1', '--hollow-voxel', '0.5', '--plates', 'packed', '-o', join(dir, 'region-parts'), '--json', '-q'], { timeout_ms: 600_000 });
    if (r.code !== 0) throw new Error(`prepare failed (${r.code}): ${r.stderr}`);
    j = JSON.parse(r.stdout);
  }, 600_000);

  it('joins the fragment, hollows with drain holes and no closed void, records all of it', () => {
    expect(j.dowels).toHaveLength(1);
    expect(j.dowels[0]).toMatchObject({ joined: true, diameter_mm: 3 });
    expect(j.dowels[0]!.length_mm).toBeGreaterThan(0.5);
    expect(j.dowels[0]!.length_mm).toBeLessThan(30);
    expect(j.hollow).toMatchObject({ wall_mm: 1, voxel_mm: 0.5, closedVoids: 0 });
    // Two holes into the largest cavity, one into each smaller one.
    expect(j.hollow.cavities[0]!.holes).toBe(2);
    expect(j.hollow.holes).toHaveLength(j.hollow.cavities.reduce((n, c) => n + c.holes, 0));
    expect(j.hollow.cavities.every((c) => c.holes >= 1)).toBe(true);
    expect(j.hollow.removed_mm3).toBeGreaterThan(500);
    expect(j.hollow.minWall_mm).toBeGreaterThanOrEqual(0.95);
    const doc = JSON.parse(readFileSync(j.record, 'utf8'));
    expect(doc.record.params).toMatchObject({ dowels: { diameter_mm: 3, maxLength_mm: 30 }, hollow: { wall_mm: 1, drainHoles: 2, drainDiameter_mm: 3 }, plates: 'packed', plateGap_mm: 5 });
    expect(doc.record.figures.dowels.shellsAfter).toBe(1);
    expect(doc.record.figures.plates).toHaveLength(j.plates.length);
  });

  it('puts the parts on as few plates as fit, one 3MF object per part, closed and manifold', () => {
    expect(j.parts.length).toBeGreaterThanOrEqual(2);
    expect(j.plates.length).toBeLessThan(j.parts.length);
    for (const p of j.parts) {
      expect(p, p.name).toMatchObject({ closed: true, manifold: true, fits: true });
      const plate = j.plates.find((x) => x.plate === p.plate)!;
      expect(p.file).toBe(plate.file);
      expect(plate.parts.map((x) => x.name)).toContain(p.name);
    }
    for (const plate of j.plates) {
      const c = content(plate.file);
      expect(c.objects.map((o) => o.name)).toEqual(plate.parts.map((x) => x.name));
      expect(c.items).toHaveLength(plate.parts.length);
      for (const it of c.items) expect(it.transform).toHaveLength(12);
    }
  });

  it('PrusaSlicer reads each plate: every object manifold, inside the 100 × 100 × 20 mm bed, 5 mm apart (required in CI)', async (ctx) => {
    if (!(await requireSlicer(ctx))) return;
    for (const plate of j.plates) {
      const objects = await expectSlicerReadsPlate(plate.file, plate.parts.length, [100, 100, 20]);
      for (let a = 0; a < objects.length; a++) for (let b = a + 1; b < objects.length; b++) {
        const A = objects[a]!, B = objects[b]!;
        const sep = Math.max(B.min[0]! - A.max[0]!, A.min[0]! - B.max[0]!, B.min[1]! - A.max[1]!, A.min[1]! - B.max[1]!);
        expect(sep, `objects ${a} and ${b} on ${plate.file}`).toBeGreaterThanOrEqual(5 - 1e-2);
      }
    }
  }, 300_000);

  it('records where a model passes through itself, and warns: the sites are where it crosses', async () => {
    // Models convert writes cross themselves nowhere (the conditioning repairs it), so this one is
    // made to: the region's topmost vertex pushed straight down to 5 mm below its lowest point.
    // Just below the top lies the solid, so its spike's edges pass through the bottom wall.
    const positions = region.positions.slice();
    let top = 0;
    let lowZ = Infinity;
    for (let v = 0; v < positions.length / 3; v++) {
      if (positions[3 * v + 2]! > positions[3 * top + 2]!) top = v;
      lowZ = Math.min(lowZ, positions[3 * v + 2]!);
    }
    positions[3 * top + 2] = lowZ - 5;
    const spiked: Mesh = { positions, indices: region.indices };
    const own = findSelfIntersections(spiked.positions, spiked.indices);
    expect(own.triangles).toBeGreaterThan(0);
    expect(findSelfIntersections(region.positions, region.indices).triangles).toBe(0);
    const file = join(dir, 'spiked.stl');
    writeFileSync(file, writeStlBinary(spiked));
    const r = await runScan2print(['prepare', file, '--printer', '200x200x200', '-o', join(dir, 'spiked-parts'), '--json', '-q'], { timeout_ms: 300_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync((JSON.parse(r.stdout) as { record: string }).record, 'utf8'));
    const si = doc.record.figures.selfIntersections as { triangles: number; pairs: number; sites: { at_mm: number[]; triangles: number }[] };
    // nothing cut, joined or moved: the print stage counts what the check of the file counts
    expect(si.triangles).toBe(own.triangles);
    const finding = (doc.record.findings as { code: string; message: string }[]).find((f) => f.code === 'SELF_INTERSECTIONS');
    expect(finding?.message).toContain(`${si.triangles} triangles pass through other triangles`);
    // Every site (the mean of the crossing triangles in a 5 mm cell) lies within a cell of a
    // crossing triangle, and one within a cell of the spike's way down.
    const centroids: number[][] = [];
    for (let t = 0; t < own.crossing.length; t++) {
      if (!own.crossing[t]) continue;
      const c = [0, 0, 0];
      for (let k = 0; k < 3; k++) for (let a = 0; a < 3; a++) c[a]! += positions[3 * spiked.indices[3 * t + k]! + a]! / 3;
      centroids.push(c);
    }
    expect(si.sites.length).toBeGreaterThan(0);
    for (const site of si.sites) {
      const near = Math.min(...centroids.map((c) => Math.hypot(c[0]! - site.at_mm[0]!, c[1]! - site.at_mm[1]!, c[2]! - site.at_mm[2]!)));
      expect(near, JSON.stringify(site)).toBeLessThanOrEqual(5);
    }
    const [tx, ty] = [positions[3 * top]!, positions[3 * top + 1]!];
    expect(Math.min(...si.sites.map((site) => Math.hypot(site.at_mm[0]! - tx, site.at_mm[1]! - ty)))).toBeLessThanOrEqual(5);
  }, 300_000);
});

describe('the phantom skull (ct/philips-head-phantom-tilt) for a 120 × 120 × 120 mm printer', () => {
  let j: {
    parts: (PartJson & { name: string; plate: number })[];
    plates: { file: string; plate: number; parts: { name: string }[] }[];
    dowels: { joined: boolean; length_mm: number; diameter_mm: number }[];
    connectors: PrepareOutput['connectors'];
    fitsWhole: boolean;
    orientation: { up: string };
    record: string;
  };
  let skull = '';
  beforeAll(async () => {
    // The tilted series of the same phantom (54 slices, not the 140 of philips-head-phantom-1mm), decimated
    // to a quarter: the same skull, a separate fragment and connectors at a fraction of the convert,
    // prepare, read-back and slicing work; bench/print/prepare.mjs times the full one. The convert is
    // convert.spec's own (test/convert-cache.ts runs it once for both); prepare only reads it.
    const conv = await sharedConvert(dataPath(TILTED_SKULL.input), [...TILTED_SKULL.args], { env: TILTED_SKULL.env });
    if (conv.code !== 0) throw new Error(`convert failed: ${conv.stderr}`);
    skull = join(conv.dir, 'skull.3mf');
    // With dowels (the skull has small separate fragments) and packed plates: their checks ride on this one run.
    const r = await runScan2print(['prepare', skull, '--printer', '120x120x120', '--dowels', '--plates', 'packed', '-o', join(dir, 'skull-parts'), '--json', '-q'], { timeout_ms: 900_000 });
    if (r.code !== 0) throw new Error(`prepare failed (${r.code}): ${r.stderr}`);
    j = JSON.parse(r.stdout);
  }, 1_500_000);

  it('every part fits, and reads back closed and manifold (our counts and manifold-3d)', async () => {
    expect(j.fitsWhole).toBe(false);
    expect(j.parts.length).toBeGreaterThanOrEqual(8);
    for (const p of j.parts) {
      expect(p, p.file).toMatchObject({ closed: true, manifold: true, fits: true });
      for (const s of p.size_mm) expect(s).toBeLessThanOrEqual(120);
      await breathe();
      const mesh = partMesh(p.file, p.name);
      expect(checkMesh(mesh), p.file).toMatchObject({ closed: true, manifold: true, oriented: true, openEdges: 0, nonManifoldEdges: 0 });
      await breathe();
      expect((await manifold3dCheck(mesh)).status, p.file).toBe('NoError');
      expect(content(p.file).unit).toBe('millimeter');
    }
  }, 600_000);

  it('every peg sits in its hole, axis on axis; the parts’ volume is the skull’s within the connectors’ volume', async () => {
    expect(j.connectors.length).toBeGreaterThan(0);
    const model = read3mf(new Uint8Array(readFileSync(skull)), skull);
    await breathe();
    // Per connector, in a small box (the union of whole parts against the skull is exact but took 6 min here).
    const check = await checkAssembly(model, await asOutput(j.parts, j.connectors), { ...DEFAULT_CONNECTORS, breathe });
    expect(check.connectors).toHaveLength(j.connectors.length);
    for (const c of check.connectors) {
      expect(c, `connector ${c.id} (${c.pegPart} → ${c.holePart})`).toMatchObject({ pegs: 1 });
      expect(c.voids).toBeGreaterThanOrEqual(1);
      expect(c.pegVolume_mm3).toBeGreaterThan(20); // 2.8 mm 24-gon × 3.8 mm ≈ 23.1 mm³
      expect(c.pegOutsideVoid_mm3).toBeLessThan(0.01);
      expect(c.axisOffset_mm).toBeLessThan(0.01);
    }
    const perConnector = Math.PI * ((DEFAULT_CONNECTORS.pegDiameter_mm / 2) ** 2 * DEFAULT_CONNECTORS.pegLength_mm + (DEFAULT_CONNECTORS.holeDiameter_mm / 2) ** 2 * DEFAULT_CONNECTORS.holeDepth_mm);
    // The dowels' struts (1 mm into each body) are material the skull did not have.
    const struts = j.dowels.filter((d) => d.joined).reduce((a, d) => a + Math.PI * (d.diameter_mm / 2) ** 2 * (d.length_mm + 2), 0);
    expect(Math.abs(check.partsVolume_mm3 - check.modelVolume_mm3)).toBeLessThanOrEqual(j.connectors.length * perConnector + struts);
  }, 600_000);

  it('joins the skull’s separate fragments with dowels and records them; every part on one packed plate', () => {
    const doc = JSON.parse(readFileSync(j.record, 'utf8'));
    const d = doc.record.figures.dowels;
    expect(d.shellsBefore).toBeGreaterThan(1);
    expect(j.dowels.length).toBe(d.dowels.length);
    const joined = j.dowels.filter((x) => x.joined);
    expect(joined.length).toBeGreaterThan(0);
    for (const x of joined) expect(x.length_mm).toBeLessThanOrEqual(30);
    // Joined fragments are no longer separate: only those reported as too far remain.
    expect(d.shellsAfter).toBe(d.shellsBefore - joined.length);
    expect(doc.record.params).toMatchObject({ dowels: { diameter_mm: 3, maxLength_mm: 30 }, hollow: false, plates: 'packed' });
    const onPlates = j.plates.flatMap((pl) => pl.parts.map((x) => x.name)).sort();
    expect(onPlates).toEqual(j.parts.map((p) => p.name).sort());
    expect(j.plates.length).toBeLessThanOrEqual(j.parts.length);
  });

  it('PrusaSlicer loads every part as manifold with no repairs (required in CI)', async (ctx) => {
    if (!(await requireSlicer(ctx))) return;
    for (const plate of j.plates) await expectSlicerReadsPlate(plate.file, plate.parts.length, [120, 120, 120]);
  }, 600_000);

  it('finds no place where the skull passes through itself: the decimated model as converted crosses nowhere', () => {
    const doc = JSON.parse(readFileSync(j.record, 'utf8'));
    const si = doc.record.figures.selfIntersections as { triangles: number; pairs: number; sites: unknown[] };
    const model = read3mf(new Uint8Array(readFileSync(skull)), skull);
    // This convert decimates, and decimation folds the surface in places: the conditioning
    // repairs that and decimates again where it cannot (convert.spec), so neither the model
    // nor its parts after cutting, dowels and connectors pass through themselves.
    expect(findSelfIntersections(model.positions, model.indices).triangles).toBe(0);
    expect(si).toMatchObject({ triangles: 0, pairs: 0, sites: [] });
    const codes = (doc.record.findings as { code: string }[]).map((f) => f.code);
    expect(codes).not.toContain('SELF_INTERSECTIONS');
  });
});

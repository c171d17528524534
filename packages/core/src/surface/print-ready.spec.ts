/**
 * Real data, end to end: every CT series in ../shared/data/ct → import → 226 HU threshold →
 * isosurface → conditioning → gate. Each final mesh must have 0 open, 0 non-manifold and 0
 * misoriented edges by our counts AND be accepted by manifold-3d; it must be 1:1 and not
 * mirrored (its bounding box matches the segmented voxels' physical bounding box computed
 * independently with pydicom straight from ImagePositionPatient / ImageOrientationPatient /
 * PixelSpacing, within one voxel, tilted series included); and PrusaSlicer must read our STL
 * and 3MF of the phantom skull as manifold with no repairs. One pass per series.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { runTool } from '../../../../test/run-tool.js';
import { importSeries, type DicomSource } from '../dicom/import.js';
import type { Mesh } from '../geometry/types.js';
import { write3mfAsync } from '../formats/3mf.js';
import { readStl, writeStlBinary } from '../formats/stl.js';
import { thresholdVolume } from '../segment/threshold.js';
import { conditionMesh, type ConditionResult } from './condition.js';
import { manifold3dCheckOn } from './gate.js';
import { createNodePool } from '../../../cli/src/pool/node-pool.js';
import { nodeDeflater } from '../../../cli/src/util/native-deflate.js';
import { extractSurface } from './isosurface/index.js';
import { checkMesh, type MeshCheck } from './topology.js';
import { bbox_mm } from './mesh-utils.js';
import { round } from '../pipeline/record.js';
import { yieldToHost } from '../parallel/yield.js';

const SERIES = ['ct/philips-head-phantom-1mm', 'ct/philips-head-phantom-tilt', 'ct/ge-head-tilt-variable-spacing'] as const;
const LO_HU = 226;
const HI_HU = 3071;

function dirSources(dir: string): DicomSource[] {
  return readdirSync(dir)
    .sort()
    .filter((n) => statSync(join(dir, n)).isFile())
    .map((n) => ({ name: join(dir, n), read: async () => new Uint8Array(readFileSync(join(dir, n))) }));
}

/** Physical bounding box (voxel extents) of the voxels in [lo, hi] HU, from the DICOM files alone (pydicom + numpy). */
const BBOX_PY = `
import sys, json, os, numpy as np, pydicom
def bbox(d, lo, hi):
  mn = np.full(3, np.inf); mx = np.full(3, -np.inf); tol = np.zeros(3); positions = []
  for name in sorted(os.listdir(d)):
      try:
          ds = pydicom.dcmread(os.path.join(d, name))
      except Exception:
          continue
      if 'PixelData' not in ds or 'ImagePositionPatient' not in ds:
          continue
      hu = ds.pixel_array.astype(np.float64) * float(ds.get('RescaleSlope', 1)) + float(ds.get('RescaleIntercept', 0))
      r, c = np.nonzero((hu >= lo) & (hu <= hi))
      iop = np.array(ds.ImageOrientationPatient, dtype=np.float64); ipp = np.array(ds.ImagePositionPatient, dtype=np.float64)
      ps = np.array(ds.PixelSpacing, dtype=np.float64)  # [between rows, between columns]
      row_dir, col_dir = iop[:3], iop[3:]
      normal = np.cross(row_dir, col_dir)
      positions.append(float(np.dot(ipp, normal)))
      tol = np.maximum(tol, np.abs(row_dir) * ps[1] + np.abs(col_dir) * ps[0])
      if len(r) == 0:
          continue
      # Extremes of an affine map over the selected pixels are at extreme (row, column) combinations.
      for rr, cc in ((r, c),):
          p = ipp[None, :] + cc[:, None] * ps[1] * row_dir[None, :] + rr[:, None] * ps[0] * col_dir[None, :]
          mn = np.minimum(mn, p.min(axis=0)); mx = np.maximum(mx, p.max(axis=0))
  positions.sort()
  step = max(b - a for a, b in zip(positions, positions[1:]))
  tol = tol + np.abs(normal) * step
  # The segmented voxels' physical extent: centres ± half a voxel (its projection on each axis).
  mn = mn - tol / 2; mx = mx + tol / 2
  return {'min': mn.tolist(), 'max': mx.tolist(), 'voxel_extent': tol.tolist(), 'slices': len(positions)}
# One interpreter for every series (argv: lo hi dir...): numpy and pydicom load once.
lo, hi = float(sys.argv[1]), float(sys.argv[2])
print(json.dumps([bbox(d, lo, hi) for d in sys.argv[3:]]))
`;

/**
 * `prusa-slicer --info a b` output split at its `[name]` header lines (the file's base name,
 * once per object of a 3MF): base name → all of that file's lines, in order of first appearance.
 */
function infoSections(stdout: string): Map<string, string> {
  const sections = new Map<string, string>();
  let current: string | undefined;
  for (const line of stdout.split('\n')) {
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1]!;
      if (!sections.has(current)) sections.set(current, '');
    } else if (current !== undefined) sections.set(current, `${sections.get(current)!}${line}\n`);
  }
  return sections;
}

interface SeriesResult {
  raw: Mesh;
  cond: ConditionResult;
  /** checkMesh of cond.output, counted once: three tests read it (a 1.6 M-triangle count each time). */
  check: MeshCheck;
  voxelBox: { min: number[]; max: number[]; voxel_extent: number[]; slices: number };
}

const results = new Map<string, SeriesResult>();
let tmp = '';
// Heavy steps run on worker threads (and conditioning yields between its steps), so this
// worker's event loop keeps answering the test runner.
const pool = createNodePool(2);

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'scan2print-print-ready-'));
  // pydicom's boxes for all series from one interpreter, running while our pipeline runs.
  const boxes = runTool('/usr/bin/python3', ['-c', BBOX_PY, String(LO_HU), String(HI_HU), ...SERIES.map((s) => dataPath(s))]);
  const done: { series: string; raw: Mesh; cond: ConditionResult; check: MeshCheck }[] = [];
  for (const series of SERIES) {
    const dir = dataPath(series);
    const imp = await importSeries(dirSources(dir), {}, { pool });
    await yieldToHost();
    const labels = thresholdVolume(imp.output.volume, LO_HU, HI_HU);
    await yieldToHost();
    const iso = await extractSurface(labels, { field: imp.output.volume, level: LO_HU }, { pool });
    await yieldToHost();
    // The small GE series also goes through decimation, so real anatomy covers that step too.
    const cond = await conditionMesh(iso.output, { grid: labels.grid, ...(series.startsWith('ct/ge-') ? { decimate: { targetFaces: 60_000 } } : {}) }, { pool });
    await yieldToHost();
    done.push({ series, raw: iso.output, cond, check: checkMesh(cond.output) });
    await yieldToHost();
  }
  const py = await boxes;
  if (py.status !== 0) throw new Error(`pydicom bounding box failed: ${py.stderr}`);
  const voxelBoxes = JSON.parse(py.stdout) as SeriesResult['voxelBox'][];
  expect(voxelBoxes).toHaveLength(SERIES.length);
  done.forEach(({ series, ...r }, k) => results.set(series, { ...r, voxelBox: voxelBoxes[k]! }));
}, 900_000);

afterAll(async () => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  await pool.close();
});

describe.each(SERIES)('%s at 226 HU', (series) => {
  it('final mesh: 0 open, 0 non-manifold, 0 misoriented edges, outward, confirmed by manifold-3d', async () => {
    const { cond, check: c } = results.get(series)!;
    expect(c.triangles).toBeGreaterThan(10_000);
    expect({ open: c.openEdges, nonManifold: c.nonManifoldEdges, misoriented: c.misorientedEdges, pinched: c.nonManifoldVertices, inverted: c.invertedShells }).toEqual({
      open: 0,
      nonManifold: 0,
      misoriented: 0,
      pinched: 0,
      inverted: 0,
    });
    expect(cond.printable).toBe(true);
    const m3 = await manifold3dCheckOn(cond.output, pool);
    await yieldToHost();
    expect(m3.status).toBe('NoError');
    expect(m3.volume_mm3).toBeCloseTo(c.volume_mm3, -1);
    const gate = cond.records.at(-1)!;
    // The gate judged the mesh welded by position too (manifold-3d runs above, not in the gate, at this size).
    expect(gate.figures).toMatchObject({ printable: true, coincidentVertices: 0, welded_nonManifoldEdges: 0, welded_nonManifoldVertices: 0, welded_openEdges: 0 });
    // What a slicer reads from the STL (vertices welded by position) is the same closed manifold.
    const stl = readStl(writeStlBinary(cond.output), 'a.stl');
    await yieldToHost();
    const slicer = checkMesh(stl);
    await yieldToHost();
    expect(slicer).toMatchObject({ closed: true, manifold: true, oriented: true, shells: c.shells, triangles: c.triangles });
    if (series === 'ct/philips-head-phantom-tilt') {
      // The real case: after smoothing, vertices of two sheets met at one float32 position
      // (welded, 8 non-manifold edges); the second clean-up moved them apart by a few µm.
      const clean2 = cond.records.filter((r) => r.method === 'cleanup')[1]!;
      expect(clean2.figures.coincidentVerticesSeparated as number).toBeGreaterThan(0);
      expect(clean2.findings ?? []).toEqual([]);
    }
    const smooth = cond.records.find((r) => r.method === 'smooth-windowed-sinc')!;
    // Smoothing removes the staircase ridges of the thick, tilted stacks (about −0.6 % there); no drift.
    expect(Math.abs(smooth.figures.volumeChange_percent as number)).toBeLessThan(1);
    expect(smooth.figures.centroidShift_mm as number).toBeLessThan(0.05);
    if (series.startsWith('ct/ge-')) {
      const dec = cond.records.find((r) => r.method === 'decimate-quadric')!;
      expect(dec.figures.facesAfter as number).toBeLessThan(dec.figures.facesBefore as number);
      expect(dec.figures.hausdorff_mm as number).toBeGreaterThan(0);
    }
  });

  it('is 1:1 and not mirrored: bounding box = segmented voxels from the DICOM positions, within one voxel', async () => {
    const { cond, raw, check, voxelBox } = results.get(series)!;
    // The extracted surface: within one voxel of the voxels' physical extent on every side.
    // The conditioned mesh may also differ by what conditioning moved (the largest smoothing
    // displacement, the decimation's Hausdorff distance) and by specks under 1 mm³ it dropped.
    const smooth = cond.records.find((r) => r.method.startsWith('smooth-'))!;
    const dec = cond.records.find((r) => r.method === 'decimate-quadric');
    const moved = (smooth.figures.maxDisplacement_mm as number) + ((dec?.figures.hausdorff_mm as number | undefined) ?? 0);
    // Only the raw surface's box is needed here, not a full topology count of its triangles:
    // the same box checkMesh reports (its used vertices, rounded as it rounds).
    const rawBox = bbox_mm(raw);
    const rawBb = { min: rawBox.min.map((x) => round(x, 4)), max: rawBox.max.map((x) => round(x, 4)) };
    for (const [bb, allowance] of [[rawBb, 0], [check.bbox_mm, moved]] as const) {
      for (let a = 0; a < 3; a++) {
        const tol = voxelBox.voxel_extent[a]! + allowance + 1e-3;
        expect(Math.abs(bb.min[a]! - voxelBox.min[a]!), `${series} min axis ${a}, allowance ${allowance}`).toBeLessThanOrEqual(tol);
        expect(Math.abs(bb.max[a]! - voxelBox.max[a]!), `${series} max axis ${a}, allowance ${allowance}`).toBeLessThanOrEqual(tol);
      }
    }
  });
});

describe('PrusaSlicer reads our phantom skull', () => {
  it('STL and 3MF: manifold = yes for every part and no repair lines', async () => {
    const { cond, check: ours } = results.get('ct/philips-head-phantom-1mm')!;
    const mesh = cond.output;
    const stl = join(tmp, 'skull.stl');
    const threeMf = join(tmp, 'skull.3mf');
    writeFileSync(stl, writeStlBinary(mesh));
    // The 3MF as the CLI writes it: the model XML deflated by node:zlib (its host deflater), half
    // the CPU of fflate on the pool; that path's bytes are checked against zlib in zip-3mf.spec.
    writeFileSync(threeMf, await write3mfAsync(mesh, { title: 'phantom skull', creationDate: '2026-01-01' }, pool, nodeDeflater));
    // One PrusaSlicer run reads both files and prints one `[file]` section for each.
    const r = await runTool('prusa-slicer', ['--info', stl, threeMf]);
    const all = `${r.stdout}\n${r.stderr}`;
    expect(r.status, all).toBe(0);
    const sections = infoSections(r.stdout);
    expect([...sections.keys()], all).toEqual(['skull.stl', 'skull.3mf']);
    const REPAIRS = /^(facets_reversed|open_edges|degenerate_facets|edges_fixed|facets_removed|facets_added|backwards_edges|normals_fixed)\s*=/m;
    expect(all).not.toMatch(REPAIRS);
    for (const [, out] of sections) {
      const manifoldLines = out.match(/^manifold = \w+$/gm) ?? [];
      expect(manifoldLines.length).toBeGreaterThan(0);
      expect(manifoldLines.every((l) => l === 'manifold = yes'), out).toBe(true);
      expect(out).not.toMatch(REPAIRS);
      const facets = [...out.matchAll(/^number_of_facets = (\d+)$/gm)].reduce((s, m) => s + Number(m[1]), 0);
      expect(facets).toBe(ours.triangles);
      const volume = [...out.matchAll(/^volume = ([\d.]+)$/gm)].reduce((s, m) => s + Number(m[1]), 0);
      // PrusaSlicer sums in float32: agree to 0.1 %.
      expect(Math.abs(volume - ours.volume_mm3) / ours.volume_mm3).toBeLessThan(1e-3);
    }
  });
});

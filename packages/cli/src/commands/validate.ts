/**
 * `scan2print validate`: ISO/IEC 3532-1 6.5 calibration and validation of the 2D→3D
 * conversion. Either on phantoms of known geometry (scanned to DICOM, converted by the
 * same pipeline as a patient, measured against the analytic shape), or on any model
 * against its segmentation (`--mesh model.3mf --labels labels.nii.gz`).
 * Exit 1 when a phantom is outside tolerance.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  checkMesh,
  inputError,
  measureSurfaceAccuracy,
  plate,
  shell,
  sphere,
  readLabelFile,
  readMesh,
  readNifti,
  standardPhantom,
  usageError,
  validatePhantom,
  type AnalyticShape,
  type PhantomKind,
  type PhantomMeasures,
  type PhantomValidation,
} from '@scan2print/core';
import { lazyNodePool } from '../io/import-input.js';
import { numbers } from './segment-args.js';
import { conditionParamsFromOptions } from './mesh.js';
import type { RegisterCommand } from './index.js';

interface ValidateOptions {
  phantom: string;
  voxel: string;
  noise: string;
  blur: string;
  blurModel: string;
  tilt: string;
  mesh?: string;
  labels?: string;
  field?: string;
  level?: string;
  json?: boolean;
  smooth: string;
  smoothMethod: string;
  placement: string;
  radius?: string;
  thickness?: string;
  plateTilt?: string;
}

/** The phantom asked for: the standard one, or with --radius / --thickness / --plate-tilt. */
export function phantomFromOptions(kind: PhantomKind, o: Pick<ValidateOptions, 'radius' | 'thickness' | 'plateTilt'>): AnalyticShape {
  const std = standardPhantom(kind);
  const c = std.describe.centre_mm;
  const one = (flag: string, v: string | undefined, lo: number, hi: number): number | undefined => {
    if (v === undefined) return undefined;
    const x = numbers(flag, v, 1)[0]!;
    if (!(x >= lo && x <= hi)) throw usageError('BAD_OPTION', `${flag} ${v}: must be in ${lo}..${hi}`);
    return x;
  };
  const radius = one('--radius', o.radius, 3, 25);
  const thickness = one('--thickness', o.thickness, 0.3, 10);
  const tilt = one('--plate-tilt', o.plateTilt, -60, 60);
  if (kind === 'sphere') return radius === undefined ? std : sphere(radius, c);
  if (kind === 'shell') return thickness === undefined ? std : shell(20, thickness, c);
  return thickness === undefined && tilt === undefined ? std : plate(40, thickness ?? 3, c, tilt ?? 0);
}

function read(file: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw inputError('READ_FAILED', (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot read (${(e as Error).message})`, file, e);
  }
}

function fmt(x: number | null | undefined, d = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d);
}

async function validateMesh(o: ValidateOptions): Promise<number> {
  if (!o.labels) throw usageError('BAD_OPTION', '--mesh needs --labels (the segmentation the model was made from)');
  const mesh = readMesh(read(o.mesh!), o.mesh!);
  if (mesh.indices.length === 0) throw inputError('EMPTY_MESH', 'the model has no triangles: nothing to measure', o.mesh!);
  const labels = readLabelFile(read(o.labels), o.labels);
  const field = o.field ? readNifti(read(o.field), o.field).volume : undefined;
  const level = o.level !== undefined ? numbers('--level', o.level, 1)[0] : undefined;
  const acc = measureSurfaceAccuracy(mesh, { labels, ...(field ? { field } : {}), ...(level !== undefined ? { level } : {}) });
  const c = checkMesh(mesh);
  const out = { mesh: o.mesh, labels: o.labels, accuracy: acc, checks: { closed: c.closed, manifold: c.manifold, oriented: c.oriented, shells: c.shells, triangles: c.triangles, volume_mm3: c.volume_mm3 } };
  if (o.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  else
    process.stdout.write(
      `model ${o.mesh} against segmentation ${o.labels}:\n  distance mesh → segmentation boundary: mean ${fmt(acc.mean_mm)} mm, p95 ${fmt(acc.p95_mm)} mm, max ${fmt(acc.max_mm)} mm (${acc.samples} samples)\n` +
        `  closed=${c.closed} manifold=${c.manifold} oriented=${c.oriented} shells=${c.shells} triangles=${c.triangles}\n`,
    );
  return 0;
}

function describePhantom(p: Record<string, unknown>): string {
  const k = String(p.kind);
  if (k === 'sphere') return `sphere r ${String(p.radius_mm)}`;
  if (k === 'shell') return `shell r ${String(p.outer_radius_mm)} wall ${String(p.wall_mm)}`;
  return `plate ${String(p.thickness_mm)} mm${p.tilt_deg ? ` tilt ${String(p.tilt_deg)}°` : ''}`;
}

export const registerValidate: RegisterCommand = (program: Command, setExit) => {
  program
    .command('validate')
    .description('validate the 2D→3D conversion on phantoms of known geometry (ISO/IEC 3532-1 6.5), or measure a model against its segmentation')
    .option('--phantom <kind>', 'sphere (r 15 mm), shell (r 20 mm, 3 mm wall), plate (40×40×3 mm) or all', 'all')
    .option('--voxel <x,y,z>', 'pixel spacing x, y and slice step in mm', '0.5,0.5,1')
    .option('--noise <HU>', 'Gaussian noise sigma in HU', '20')
    .option('--blur <mm>', 'scanner point-spread sigma in mm', '0.5')
    .option('--blur-model <model>', 'planar: Φ(−distance/σ), each point blurred as if its nearest face were a plane (thin walls get one face\'s blur); exact: the shape convolved with the point spread, as a scanner blurs', 'planar')
    .option('--tilt <deg>', 'gantry tilt in degrees (sheared stack, resampled on import)', '0')
    .option('--smooth <n|none>', 'smoothing iterations of the convert pipeline under test, or "none"', '40')
    .option('--smooth-method <method>', 'windowed-sinc or taubin', 'windowed-sinc')
    .option('--placement <rule>', 'vertex placement under test: edge (the default convert) or threshold (the iso-surface of the threshold); the other runs side by side', 'edge')
    .option('--radius <mm>', 'sphere radius (default 15)')
    .option('--thickness <mm>', 'plate thickness or shell wall (default 3)')
    .option('--plate-tilt <deg>', 'tilt the plate about x by this angle (default 0)')
    .option('--mesh <file>', 'measure this model (.3mf/.stl/.obj/.ply) instead of phantoms')
    .option('--labels <file>', 'the segmentation the model was made from (.nii.gz or DICOM SEG)')
    .option('--field <file>', 'with --mesh: the HU or probability volume the model was meshed from')
    .option('--level <value>', 'with --field: its iso level')
    .option('--json', 'print the results as JSON')
    .action(async (o: ValidateOptions) => {
      if (o.mesh) {
        setExit(await validateMesh(o));
        return;
      }
      const kinds: PhantomKind[] = o.phantom === 'all' ? ['sphere', 'shell', 'plate'] : [o.phantom as PhantomKind];
      if (!kinds.every((k) => k === 'sphere' || k === 'shell' || k === 'plate')) throw usageError('BAD_OPTION', `--phantom ${o.phantom}: sphere, shell, plate or all`);
      const voxel = numbers('--voxel', o.voxel, 3) as [number, number, number];
      if (voxel.some((v) => !(v >= 0.1 && v <= 5))) throw usageError('BAD_OPTION', `--voxel ${o.voxel}: each spacing must be in 0.1..5 mm`);
      const noise = numbers('--noise', o.noise, 1)[0]!;
      const blur = numbers('--blur', o.blur, 1)[0]!;
      const tilt = numbers('--tilt', o.tilt, 1)[0]!;
      // A scanner's noise is 5–50 HU and its blur 0.3–2 mm: far outside, the phantom is not a scan (--noise 1e9 ended in a --min-island message).
      if (!(noise >= 0 && noise <= 500) || !(blur >= 0 && blur <= 5) || Math.abs(tilt) > 45) throw usageError('BAD_OPTION', '--noise 0–500 HU, --blur 0–5 mm, |--tilt| ≤ 45°');
      if (o.placement !== 'edge' && o.placement !== 'threshold') throw usageError('BAD_OPTION', `--placement ${o.placement}: edge or threshold`);
      if (o.blurModel !== 'planar' && o.blurModel !== 'exact') throw usageError('BAD_OPTION', `--blur-model ${o.blurModel}: planar or exact`);
      const blurModel = o.blurModel;
      const placement = o.placement;
      const condition = conditionParamsFromOptions({ output: [], smooth: o.smooth, smoothMethod: o.smoothMethod, minShell: '1' }, 'phantom');
      const pool = lazyNodePool();
      const results: PhantomValidation[] = [];
      try {
        for (const kind of kinds) {
          // A hollow shell's inner surface is what is measured, so its cavity is kept.
          const cond = { ...condition, keepCavities: kind === 'shell' };
          const shape = phantomFromOptions(kind, o);
          results.push(await validatePhantom(shape, { voxel_mm: voxel, noise_hu: noise, blur_mm: blur, blurModel, tilt_deg: tilt, seed: 3532 }, { condition: cond, placement: { placement } }, { pool }));
        }
      } finally {
        await pool.close();
      }
      const failed = results.filter((r) => !r.pass);
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ results: results.map(({ records: _r, ...rest }) => rest), records: results.flatMap((r) => r.records.filter((x: { stage: string }) => x.stage === 'validate')) }, null, 2)}\n`);
      } else {
        const lines = [
          `validation of the 2D→3D conversion (the default convert: automatic threshold, ${placement} placement, marrow fill off; the other placement side by side): voxel ${voxel.join(' × ')} mm, noise ${noise} HU, blur ${blur} mm (${blurModel}), gantry tilt ${tilt}°`,
        ];
        lines.push('phantom                   placement  threshold  volume err %  dist mean  p95    max    signed  wall true/measured (mm)  closed manifold  result');
        const row = (name: string, rule: string, thr: number | null, m: PhantomMeasures, closed: boolean, manifold: boolean, result: string): string => {
          const w = m.wallThickness;
          return (
            `${name.padEnd(25)} ${rule.padEnd(10)} ${String(thr ?? '—').padStart(6)} HU ${fmt(m.volumeErrorPercent, 2).padStart(9)}   ${fmt(m.surfaceDistance.mean_mm)}   ${fmt(m.surfaceDistance.p95_mm)}  ${fmt(m.surfaceDistance.max_mm)}  ${fmt(m.surfaceDistance.signedMean_mm)}  ` +
            `${w ? `${fmt(w.true_mm, 2)} / ${fmt(w.measured_mm)}` : '—'.padEnd(12)}            ${closed}   ${manifold}     ${result}`
          );
        };
        for (const r of results) {
          const name = describePhantom(r.phantom);
          lines.push(row(name, placement, r.threshold_HU, r.measures, r.checks.closed, r.checks.manifold, r.pass ? 'PASS' : 'FAIL'));
          const other = r.sideBySide;
          if (other) lines.push(row('', other.placement, r.threshold_HU, other.measures, other.checks.closed, other.checks.manifold, '(side by side)'));
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (failed.length) {
        process.stderr.write(`scan2print: ${failed.length} phantom(s) outside tolerance (|volume error| ≤ 2 %, p95 distance ≤ max(0.5 mm, half a voxel), a wall's thickness within max(0.1 mm, 8 % of a voxel), closed and manifold)\n`);
        setExit(1);
      }
    });
};

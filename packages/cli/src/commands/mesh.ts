/**
 * `scan2print mesh`: label map (+ optional HU/probability field) → isosurface → conditioning
 * (clean-up, smoothing, decimation, cavities) → printability gate → STL / 3MF / OBJ / PLY.
 * A mesh that fails the gate is refused (exit 3) and nothing is written, unless --allow-open.
 * Every file is written under a temporary name and renamed, so no half-written model exists.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import {
  conditionParamsFromArgs,
  inputError,
  meshFormatOf,
  meshLabelMap,
  parseNumberOption,
  previewMesh,
  readLabelFile,
  readNifti,
  refuseIgnoredMeshOptions,
  threeMfDeflateMethod,
  usageError,
  writeMesh,
  writeMeshAsync,
  type ConditionParams,
  type MeshArgs,
  type StageRecord,
} from '@scan2print/core';
import { createNodePool } from '../pool/node-pool.js';
import { OutputSet, preflightOutputs } from '../util/output-set.js';
import { sha256Hex } from '../util/checksum.js';
import { nodeDeflater } from '../util/native-deflate.js';
import { createProgress, overallProgress } from '../util/progress.js';
import type { RegisterCommand } from './index.js';
import { hasLabel, labelsIn } from '../util/labels-in.js';
import { refuseAsciiWithoutStl } from './option-rules.js';
import { addMeshOptions, type MeshOptionValues } from './shared-options.js';
import { outputTime } from '../util/time.js';

interface MeshOptions extends MeshOptionValues {
  output: string[];
  field?: string;
  level?: string;
  label?: string;
  title?: string;
  color?: string;
  json?: boolean;
  quiet?: boolean;
}

/** Volumes above this many voxels extract on worker threads. */
const POOL_MIN_VOXELS = 4_000_000;

function readBytes(file: string, what: string): Uint8Array {
  try {
    if (statSync(file).isDirectory()) throw inputError('READ_FAILED', `is a directory, expected ${what}`, file);
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    if ((e as { name?: string }).name === 'ScanError') throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw inputError('READ_FAILED', code === 'ENOENT' ? 'no such file' : `cannot read (${(e as Error).message})`, file, e);
  }
}

/** CreationDate for 3MF (SOURCE_DATE_EPOCH when set). */
function creationDate(): string {
  return outputTime().toISOString().slice(0, 10);
}

/** A command's options (outputs included, as mesh and validate hold them) → ConditionParams, by core's parser. */
export function conditionParamsFromOptions(opts: MeshArgs & { output?: string[] }, name: string): ConditionParams {
  return conditionParamsFromArgs(opts, name);
}

function summary(records: StageRecord[], outputs: { file: string; bytes: number }[]): string {
  const lines: string[] = [];
  for (const r of records) {
    const f = Object.entries(r.figures)
      .filter(([, v]) => typeof v !== 'object' || v === null)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    lines.push(`${r.stage.padEnd(9)} ${r.method.padEnd(22)} ${r.wall_ms !== undefined ? `${Math.round(r.wall_ms)} ms `.padStart(9) : ''}${f}`);
    for (const x of r.findings ?? []) lines.push(`  ${x.severity}: ${x.message}`);
    for (const c of r.corrections ?? []) lines.push(`  corrected: ${c}`);
    for (const n of r.notes ?? []) lines.push(`  note: ${n}`);
  }
  for (const o of outputs) lines.push(`wrote ${o.file} (${o.bytes} bytes)`);
  return `${lines.join('\n')}\n`;
}

export const registerMesh: RegisterCommand = (program: Command) => {
  const cmd = program
    .command('mesh')
    .description('label map → closed, manifold, outward-oriented mesh in patient mm (LPS), checked by a printability gate, written as STL/3MF/OBJ/PLY')
    .argument('<labels>', 'label map (.nii, .nii.gz or DICOM SEG)')
    .requiredOption('-o, --output <file>', 'output mesh (.stl, .3mf, .obj, .ply); repeat for several formats', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--field <file>', 'HU or probability volume on the same grid (.nii/.nii.gz): places vertices sub-voxel (no staircase)')
    .option('--level <value>', 'iso level in field units (default: estimated from the label map and field)')
    .option('--label <n>', 'mesh only this label value (default: every non-zero label)');
  addMeshOptions(cmd);
  cmd
    .option('--title <text>', 'model title (3MF metadata)')
    .option('--color <hex>', 'display colour of the model in 3MF, #RRGGBB or #RRGGBBAA')
    .option('--json', 'print checks, accuracy and every stage record as JSON')
    .option('-q, --quiet', 'no progress line')
    .action(async (labelsFile: string, opts: MeshOptions) => {
      // Refuse bad arguments before any work.
      for (const f of [...opts.output, ...(opts.preview ? [opts.preview] : [])]) {
        if (!meshFormatOf(f)) throw usageError('MESH_FORMAT', `${f}: unknown mesh format (use .stl, .3mf, .obj or .ply)`);
      }
      const params = conditionParamsFromOptions(opts, basename(labelsFile));
      // Options that would be accepted and silently ignored are refused instead.
      refuseAsciiWithoutStl(opts);
      refuseIgnoredMeshOptions(opts);
      preflightOutputs([...opts.output, ...(opts.preview ? [opts.preview] : [])], [labelsFile, ...(opts.field ? [opts.field] : [])]);
      if (opts.color !== undefined && !/^#?[0-9a-f]{6}([0-9a-f]{2})?$/i.test(opts.color)) throw usageError('BAD_OPTION', `--color ${opts.color}: expected #RRGGBB or #RRGGBBAA`);
      const level = parseNumberOption(opts.level, '--level', () => true, 'a number');
      const label = parseNumberOption(opts.label, '--label', (x) => Number.isInteger(x) && x >= 0, 'a label value (integer ≥ 0)');
      const progress = createProgress({ quiet: opts.quiet ?? false, json: opts.json ?? false });

      const labels = readLabelFile(readBytes(labelsFile, 'a label map'), labelsFile);
      const field = opts.field ? readNifti(readBytes(opts.field, 'a NIfTI volume'), opts.field).volume : undefined;
      if (label !== undefined && !hasLabel(labels.data, label)) throw inputError('NO_SUCH_LABEL', `no voxel has label ${label} (labels in the file: ${labelsIn(labels.data)})`, labelsFile);
      const n = labels.grid.dims[0] * labels.grid.dims[1] * labels.grid.dims[2];
      const pool = n >= POOL_MIN_VOXELS ? createNodePool() : undefined;
      const records: StageRecord[] = [];
      const out = new OutputSet();
      try {
        // The same per-model stages as `convert` (surface → condition with the grid → gate → accuracy).
        const built = await meshLabelMap(
          labels,
          { condition: params, ...(label !== undefined ? { label } : {}), ...(field ? { field } : {}), ...(level !== undefined ? { level } : {}) },
          { ...(pool ? { pool } : {}), progress: overallProgress(progress) },
        );
        records.push(...built.records);
        const mesh = built.mesh;
        const accuracyRecord = built.records.find((r) => r.stage === 'accuracy');
        const accuracy = (accuracyRecord?.figures ?? {}) as Record<string, number>;

        const title = opts.title ?? basename(labelsFile).replace(/\.(nii(\.gz)?|dcm)$/i, '');
        const date = creationDate();
        const written: { file: string; bytes: number; sha256: string }[] = [];
        const files: { file: string; bytes: Uint8Array }[] = [];
        for (const file of opts.output) {
          // A 3MF's model XML deflated by native zlib (util/native-deflate.ts), as in `convert`.
          const meshOpts = { ascii: opts.ascii === true, title, creationDate: date, name: title, ...(opts.color ? { color: opts.color } : {}) };
          files.push({ file, bytes: await writeMeshAsync(mesh, file, meshOpts, pool, nodeDeflater) });
        }
        if (opts.preview) {
          const pv = await previewMesh(mesh);
          records.push(pv.record);
          files.push({ file: opts.preview, bytes: writeMesh(pv.output, opts.preview, { title: `${title} (preview)`, creationDate: date, name: title }) });
        }
        for (const f of files) {
          out.write(f.file, f.bytes);
          written.push({ file: f.file, bytes: f.bytes.length, sha256: sha256Hex(f.bytes) });
        }
        out.commit();
        records.push({
          stage: 'export',
          method: 'mesh-files',
          params: {
            formats: files.map((f) => meshFormatOf(f.file)),
            ascii: opts.ascii === true,
            units: 'mm',
            frame: 'DICOM patient (LPS)',
            creationDate: date,
            ...(files.some((f) => meshFormatOf(f.file) === '3mf') ? { deflate: threeMfDeflateMethod(nodeDeflater) } : {}),
          },
          figures: { files: written },
        });
        const cond = built;
        progress.done();
        const c = cond.check;
        if (opts.json) {
          const out = {
            labels: labelsFile,
            outputs: written,
            checks: { closed: c.closed, manifold: c.manifold, oriented: c.oriented, shells: c.shells, triangles: c.triangles, volume_mm3: c.volume_mm3, area_mm2: c.area_mm2, bbox_mm: c.bbox_mm },
            printable: cond.printable,
            accuracy,
            records,
          };
          process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        } else {
          process.stdout.write(summary(records, written));
          process.stdout.write(
            `checks: closed=${c.closed} manifold=${c.manifold} oriented=${c.oriented} shells=${c.shells} triangles=${c.triangles} volume=${c.volume_mm3} mm³ area=${c.area_mm2} mm²\n` +
              `accuracy (mesh → segmentation boundary): mean ${accuracy.mean_mm} mm, p95 ${accuracy.p95_mm} mm, max ${accuracy.max_mm} mm\n`,
          );
        }
      } catch (e) {
        out.abort();
        throw e;
      } finally {
        progress.done();
        await pool?.close();
      }
    });
};

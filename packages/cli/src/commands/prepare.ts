/**
 * `scan2print prepare model.3mf --printer NAME|WxDxH -o DIR`: core's print preparation
 * (orientation, fit, wall thickness, split with peg/hole connectors) on a model file, written
 * as one 3MF per part plus a preparation record (JSON), all or nothing (temporaries renamed
 * together). Parts are written in the model's own frame (patient LPS, mm), so loading every
 * part file together shows the model re-assembled; the record gives each part's rotation and
 * translation onto the build plate. Same input and options → same bytes: the record holds no
 * times, and the 3MF CreationDate is SOURCE_DATE_EPOCH's date when set, else the input 3MF's.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import {
  DEFAULT_CONNECTORS,
  inputError,
  invert,
  meshFormatOf,
  parseNumberOption,
  PRINT_CATALOGUE,
  preparePrint,
  read3mfContent,
  readMesh,
  resolveMaterial,
  resolvePrinter,
  SCAN2PRINT_VERSION,
  ScanError,
  transformMesh,
  usageError,
  write3mf,
  type ConnectorParams,
  type Mesh,
  type PrepareOutput,
} from '@scan2print/core';
import { OutputSet, preflightOutputs } from '../util/output-set.js';
import { sha256Hex } from '../util/checksum.js';
import { createProgress } from '../util/progress.js';
import type { RegisterCommand } from './index.js';

interface PrepareOptions {
  printer: string;
  material?: string;
  output: string;
  orient?: string;
  connectors: boolean;
  holeDiameter?: string;
  holeDepth?: string;
  pegDiameter?: string;
  pegLength?: string;
  margin?: string;
  json?: boolean;
  quiet?: boolean;
}

export const PREPARE_EXAMPLES = [
  'scan2print prepare skull.3mf --printer 120x120x120 -o parts/',
  'scan2print prepare skull.3mf --printer prusa-mk4 --material pla -o parts/ --json',
  'scan2print prepare skull.stl --printer formlabs-form3plus --orient height --hole-diameter 3.2 -o parts/',
];

function readModel(file: string): { mesh: Mesh; bytes: Uint8Array; creationDate?: string } {
  if (!meshFormatOf(file)) throw usageError('MESH_FORMAT', `${file}: unknown model format (use .3mf, .stl, .obj or .ply)`);
  let bytes: Uint8Array;
  try {
    if (statSync(file).isDirectory()) throw inputError('READ_FAILED', 'is a folder, expected a model file', file);
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    if ((e as { name?: string }).name === 'ScanError') throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw inputError('READ_FAILED', code === 'ENOENT' ? 'no such file' : `cannot read (${(e as Error).message})`, file, e);
  }
  if (meshFormatOf(file) === '3mf') {
    const c = read3mfContent(bytes, file);
    return { mesh: c.mesh, bytes, ...(c.metadata.CreationDate ? { creationDate: c.metadata.CreationDate } : {}) };
  }
  return { mesh: readMesh(bytes, file), bytes };
}

function creationDate(fromInput: string | undefined): string | undefined {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString().slice(0, 10);
  return fromInput;
}

function connectorOptions(o: PrepareOptions): Partial<ConnectorParams> | false {
  if (!o.connectors) return false;
  const pos = (x: number): boolean => x > 0 && x < 50;
  const out: Partial<ConnectorParams> = {};
  const set = (k: keyof ConnectorParams, v: string | undefined, flag: string): void => {
    const n = parseNumberOption(v, flag, pos, 'a size in mm (0 < x < 50)');
    if (n !== undefined) out[k] = n;
  };
  set('holeDiameter_mm', o.holeDiameter, '--hole-diameter');
  set('holeDepth_mm', o.holeDepth, '--hole-depth');
  set('pegDiameter_mm', o.pegDiameter, '--peg-diameter');
  set('pegLength_mm', o.pegLength, '--peg-length');
  // A deeper hole without a peg length keeps the default 0.2 mm end clearance.
  if (out.holeDepth_mm !== undefined && out.pegLength_mm === undefined) out.pegLength_mm = Math.max(0.1, out.holeDepth_mm - (DEFAULT_CONNECTORS.holeDepth_mm - DEFAULT_CONNECTORS.pegLength_mm));
  return out;
}

export const registerPrepare: RegisterCommand = (program: Command) => {
  program
    .command('prepare')
    .description('model → parts that fit a printer: orientation, fit and wall-thickness check, and a split with peg/hole connectors when it is too large (one 3MF per part and a preparation record)')
    .argument('<model>', 'closed, manifold model (.3mf, .stl, .obj, .ply), mm')
    .requiredOption('--printer <name|WxDxH>', `catalogue printer (${PRINT_CATALOGUE.printers.map((p) => p.id).join(', ')}; see scan2print printers) or a build volume in mm such as 120x120x120`)
    .option('--material <name>', 'catalogue material (recorded)')
    .requiredOption('-o, --output <dir>', 'output folder: <model>_part-N.3mf per part and <model>_preparation.json')
    .option('--orient <criterion>', 'height (lowest) or support (least overhang area); default: support for FDM/SLA, height otherwise')
    .option('--no-connectors', 'plain cuts, no pegs or holes')
    .option('--hole-diameter <mm>', `connector hole diameter (default ${DEFAULT_CONNECTORS.holeDiameter_mm})`)
    .option('--hole-depth <mm>', `connector hole depth (default ${DEFAULT_CONNECTORS.holeDepth_mm})`)
    .option('--peg-diameter <mm>', `connector peg diameter (default ${DEFAULT_CONNECTORS.pegDiameter_mm})`)
    .option('--peg-length <mm>', `connector peg length out of its face (default ${DEFAULT_CONNECTORS.pegLength_mm})`)
    .option('--margin <mm>', 'room kept free on each build-volume axis (default 0.5)')
    .option('--json', 'print the parts, orientation, cuts, connectors and the record as JSON')
    .option('-q, --quiet', 'no progress line')
    .addHelpText('after', `\nExamples:\n${PREPARE_EXAMPLES.map((e) => `  $ ${e}`).join('\n')}\n`)
    .action(async (modelFile: string, opts: PrepareOptions) => {
      const printer = resolvePrinter(opts.printer);
      const material = opts.material !== undefined ? resolveMaterial(opts.material) : undefined;
      if (opts.orient !== undefined && opts.orient !== 'height' && opts.orient !== 'support') throw usageError('BAD_OPTION', `--orient ${opts.orient}: expected height or support`);
      const connectors = connectorOptions(opts);
      const margin = parseNumberOption(opts.margin, '--margin', (x) => x >= 0 && x < 20, 'mm (0 ≤ x < 20)');
      const stem = basename(modelFile).replace(/\.(3mf|stl|obj|ply)$/i, '');
      const recordFile = join(opts.output, `${stem}_preparation.json`);
      preflightOutputs([recordFile]);
      const progress = createProgress({ quiet: opts.quiet ?? false, json: opts.json ?? false });
      const input = readModel(modelFile);
      const out = new OutputSet();
      try {
        const { output, record } = await preparePrint(
          input.mesh,
          {
            printer,
            ...(material ? { material } : {}),
            ...(opts.orient ? { orientBy: opts.orient as 'height' | 'support' } : {}),
            connectors,
            ...(margin !== undefined ? { margin_mm: margin } : {}),
            name: modelFile,
          },
          { progress: (f, m) => progress.update(f, m) },
        );
        // Parts are closed solids by construction; a part that is not is our fault, and nothing is written.
        const bad = output.parts.filter((p) => !p.closed || !p.manifold || !p.oriented || p.manifold3d !== 'NoError' || !p.fits);
        if (bad.length) {
          throw new ScanError('PART_NOT_PRINTABLE', `${modelFile}: ${bad.map((p) => `${p.name} (closed ${p.closed}, manifold ${p.manifold}, oriented ${p.oriented}, manifold-3d ${p.manifold3d}, fits ${p.fits})`).join('; ')}; nothing was written`, { kind: 'internal' });
        }
        const date = creationDate(input.creationDate);
        const files = writeParts(out, output, opts.output, stem, date);
        const doc = {
          tool: `scan2print ${SCAN2PRINT_VERSION}`,
          input: { file: basename(modelFile), sha256: sha256Hex(input.bytes), triangles: input.mesh.indices.length / 3 },
          printer,
          material: material ?? null,
          parts: files,
          record,
        };
        out.write(recordFile, `${JSON.stringify(doc, null, 2)}\n`);
        out.commit();
        progress.done();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ parts: files, printer, material: material?.id ?? null, orientation: record.figures.orientation, fitsWhole: output.fitsWhole, cuts: output.cuts, connectors: output.connectors, thickness: output.thickness, record: recordFile, findings: record.findings ?? [] }, null, 2)}\n`);
        } else {
          const o = output.orientation.chosen;
          const lines = [
            `printer ${printer.name}: ${printer.buildVolume_mm.join(' × ')} mm; orientation ${o.up} up (${output.orientation.criterion}), ${o.size_mm.join(' × ')} mm, support ${o.supportArea_mm2} mm²`,
            `wall thickness: min ${output.thickness.min_mm} mm, 1st percentile ${output.thickness.p1_mm} mm; ${output.thickness.thinFeatures} features under ${printer.minFeature_mm} mm`,
            output.fitsWhole ? 'fits whole' : `split: ${output.cuts.map((c) => `${c.axis} = ${c.position_mm} mm`).join(', ')}; ${output.connectors.length} connectors`,
            ...files.map((f) => `wrote ${f.file}: ${f.size_mm.join(' × ')} mm, ${f.volume_mm3} mm³, closed=${f.closed} manifold=${f.manifold} fits=${f.fits}`),
            `wrote ${recordFile}`,
            ...(record.findings ?? []).map((x) => `${x.severity}: ${x.message}`),
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
        }
      } catch (e) {
        out.abort();
        throw e;
      } finally {
        progress.done();
      }
    });
};

interface PartFile {
  file: string;
  sha256: string;
  bytes: number;
  /** In the model's frame (patient LPS, mm), as written. */
  bbox_mm: { min: number[]; max: number[] };
  /** On the build plate, after the part's print transform. */
  size_mm: number[];
  volume_mm3: number;
  triangles: number;
  closed: boolean;
  manifold: boolean;
  oriented: boolean;
  fits: boolean;
  pegs: number;
  holes: number;
  printTransform: { rotation: number[]; translation: number[] };
}

function writeParts(out: OutputSet, output: PrepareOutput, dir: string, stem: string, date: string | undefined): PartFile[] {
  return output.parts.map((p) => {
    const mesh = transformMesh(p.mesh, invert(p.transform));
    const file = join(dir, `${stem}_${p.name}.3mf`);
    const bytes = write3mf(mesh, { title: `${stem} ${p.name}`, split: 'none', parts: { 0: { name: p.name } }, ...(date ? { creationDate: date } : {}) });
    out.write(file, bytes);
    return {
      file,
      sha256: sha256Hex(bytes),
      bytes: bytes.length,
      bbox_mm: bbox(mesh),
      size_mm: p.size_mm,
      volume_mm3: p.volume_mm3,
      triangles: p.triangles,
      closed: p.closed,
      manifold: p.manifold && p.manifold3d === 'NoError',
      oriented: p.oriented,
      fits: p.fits,
      pegs: p.pegs,
      holes: p.holes,
      printTransform: p.transform,
    };
  });
}

function bbox(mesh: Mesh): { min: number[]; max: number[] } {
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  const p = mesh.positions;
  for (let i = 0; i < p.length; i += 3) for (let k = 0; k < 3; k++) {
    lo[k] = Math.min(lo[k]!, p[i + k]!);
    hi[k] = Math.max(hi[k]!, p[i + k]!);
  }
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return { min: lo.map(r), max: hi.map(r) };
}

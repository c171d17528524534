/**
 * `scan2print prepare model.3mf --printer NAME|WxDxH -o DIR`: core's print preparation
 * (dowels, orientation, fit, hollowing, wall thickness, split with peg/hole connectors, plates)
 * on a model file, written as one 3MF per build plate (`--plates each`: one part per plate and
 * file, `<model>_part-N.3mf`; `--plates packed`: as few plates as fit, `<model>_plate-N.3mf`)
 * plus a preparation record (JSON), all or nothing (temporaries renamed together). Each part is
 * one 3MF object whose vertices stay in the model's own frame (patient LPS, mm), and its build
 * item carries the transform onto the bed (print orientation, place on the plate), so a slicer
 * shows the plate ready to print while the mesh data still re-assembles the model. Same input
 * and options → same bytes: the record holds no times, and the 3MF CreationDate is
 * SOURCE_DATE_EPOCH's date when set, else the input 3MF's.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import {
  concatMeshes,
  DEFAULT_CONNECTORS,
  DEFAULT_DOWELS,
  DEFAULT_HOLLOW,
  DEFAULT_PLATE_GAP_MM,
  inputError,
  invert,
  materialFor,
  parseNumberOption,
  preparePrint,
  PRINT_CATALOGUE,
  readModelFile,
  resolveMaterial,
  resolvePrinter,
  rigidTo3mfTransform,
  SCAN2PRINT_VERSION,
  ScanError,
  transformMesh,
  usageError,
  threeMfDeflateMethod,
  write3mfAsync,
  type ConnectorParams,
  type DowelParams,
  type HollowParams,
  type MaterialSpec,
  type Mesh,
  type PrepareOutput,
  type PrinterChoice,
} from '@scan2print/core';
import { holdForTests, OutputSet, preflightOutputs } from '../util/output-set.js';
import { sha256Hex } from '../util/checksum.js';
import { nodeDeflater } from '../util/native-deflate.js';
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
  plates?: string;
  plateGap?: string;
  dowels?: boolean;
  dowelDiameter?: string;
  dowelMaxLength?: string;
  hollow?: string;
  drainHoles?: string;
  drainDiameter?: string;
  hollowVoxel?: string;
  json?: boolean;
  quiet?: boolean;
}

export const PREPARE_EXAMPLES = [
  'scan2print prepare skull.3mf --printer 120x120x120 -o parts/',
  'scan2print prepare skull.3mf --printer prusa-mk4 --material pla -o parts/ --json',
  'scan2print prepare skull.stl --printer formlabs-form3plus --orient height --hole-diameter 3.2 -o parts/',
  'scan2print prepare skull.3mf --printer formlabs-form3plus --hollow 2 --drain-holes 3 --dowels --plates packed -o parts/',
];

function creationDate(fromInput: string | undefined): string | undefined {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString().slice(0, 10);
  return fromInput;
}

function connectorOptions(o: PrepareOptions): Partial<ConnectorParams> | false {
  if (!o.connectors) {
    // Sizes for connectors that are not made would be dropped without a word (even invalid ones).
    const sizes: [string, string | undefined][] = [['--hole-diameter', o.holeDiameter], ['--hole-depth', o.holeDepth], ['--peg-diameter', o.pegDiameter], ['--peg-length', o.pegLength]];
    const given = sizes.filter(([, v]) => v !== undefined).map(([flag]) => flag);
    if (given.length) throw usageError('BAD_OPTION', `${given.join(', ')}: connector sizes do not go with --no-connectors (plain cuts, no pegs or holes)`);
    return false;
  }
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
    .option('--plates <each|packed>', 'one part per build plate and file (default), or as few plates as fit')
    .option('--plate-gap <mm>', `gap between parts on a packed plate (default ${DEFAULT_PLATE_GAP_MM})`)
    .option('--dowels', 'join separate shells (fragments) to the main body with a strut along the shortest line')
    .option('--dowel-diameter <mm>', `strut diameter (default ${DEFAULT_DOWELS.diameter_mm})`)
    .option('--dowel-max-length <mm>', `shells farther than this are reported, not joined (default ${DEFAULT_DOWELS.maxLength_mm})`)
    .option('--hollow <wall-mm>', 'hollow the model, keeping this wall thickness (resin printers)')
    .option('--drain-holes <n>', `drain holes into the largest cavity, at its lowest points (default ${DEFAULT_HOLLOW.drainHoles}; other cavities get one)`)
    .option('--drain-diameter <mm>', `drain hole diameter (default ${DEFAULT_HOLLOW.drainDiameter_mm})`)
    .option('--hollow-voxel <mm>', 'voxel size of the hollowing distance field (default wall/3 within 0.2–1 mm)')
    .option('--json', 'print the parts, orientation, cuts, connectors and the record as JSON')
    .option('-q, --quiet', 'no progress line')
    .addHelpText('after', `\nExamples:\n${PREPARE_EXAMPLES.map((e) => `  $ ${e}`).join('\n')}\n`)
    .action(async (modelFile: string, opts: PrepareOptions) => {
      const printer = resolvePrinter(opts.printer);
      const material = opts.material !== undefined ? printerMaterial(printer, opts.material) : undefined;
      if (opts.orient !== undefined && opts.orient !== 'height' && opts.orient !== 'support') throw usageError('BAD_OPTION', `--orient ${opts.orient}: expected height or support`);
      const connectors = connectorOptions(opts);
      const margin = parseNumberOption(opts.margin, '--margin', (x) => x >= 0 && x < 20, 'mm (0 ≤ x < 20)');
      const plates = opts.plates ?? 'each';
      if (plates !== 'each' && plates !== 'packed') throw usageError('BAD_OPTION', `--plates ${plates}: expected each or packed`);
      // A gap between parts on a plate means nothing when each part has a plate of its own.
      if (opts.plateGap !== undefined && plates !== 'packed') throw usageError('BAD_OPTION', '--plate-gap needs --plates packed (--plates each, the default, puts each part on a plate of its own)');
      const plateGap = parseNumberOption(opts.plateGap, '--plate-gap', (x) => x >= 0 && x < 50, 'mm (0 ≤ x < 50)');
      const dowels = dowelOptions(opts);
      const hollow = hollowOptions(opts);
      const stem = basename(modelFile).replace(/\.(3mf|stl|obj|ply)$/i, '');
      const recordFile = join(opts.output, `${stem}_preparation.json`);
      preflightOutputs([recordFile]);
      refuseStaleParts(opts.output, stem);
      const progress = createProgress({ quiet: opts.quiet ?? false, json: opts.json ?? false });
      const input = readModelFile(modelFile, (f) => new Uint8Array(readFileSync(f)));
      if (input.mesh.indices.length === 0) throw inputError('EMPTY_MESH', 'the model has no triangles: nothing to prepare', modelFile);
      // The output set (and with it the SIGINT/SIGTERM handler that removes its temporaries) is made
      // only when the files are written: preparePrint is CPU-bound and never yields, so a JS
      // handler installed before it would hold Ctrl-C until the whole computation ended (56 s on a
      // 1.6 M-triangle skull). Until then nothing is written, and a signal ends the process at once.
      let out: OutputSet | undefined;
      try {
        const { output, record } = await preparePrint(
          input.mesh,
          {
            printer,
            ...(material ? { material } : {}),
            ...(opts.orient ? { orientBy: opts.orient as 'height' | 'support' } : {}),
            connectors,
            ...(margin !== undefined ? { margin_mm: margin } : {}),
            dowels,
            hollow,
            plates,
            ...(plateGap !== undefined ? { plateGap_mm: plateGap } : {}),
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
        out = new OutputSet();
        const { parts: files, plates: plateFiles } = await writePlates(out, output, opts.output, stem, date);
        const doc = {
          tool: `scan2print ${SCAN2PRINT_VERSION}`,
          input: { file: basename(modelFile), sha256: sha256Hex(input.bytes), triangles: input.mesh.indices.length / 3 },
          printer,
          material: material ?? null,
          parts: files,
          plates: plateFiles,
          /** How the plates' model XML was deflated (threeMfDeflateMethod). */
          deflate: threeMfDeflateMethod(nodeDeflater),
          record,
        };
        out.write(recordFile, `${JSON.stringify(doc, null, 2)}\n`);
        await holdForTests();
        out.commit();
        progress.done();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ parts: files, plates: plateFiles, dowels: output.dowels?.dowels ?? [], hollow: output.hollow, printer, material: material?.id ?? null, orientation: record.figures.orientation, fitsWhole: output.fitsWhole, cuts: output.cuts, connectors: output.connectors, thickness: output.thickness, record: recordFile, findings: record.findings ?? [] }, null, 2)}\n`);
        } else {
          const o = output.orientation.chosen;
          const lines = [
            `printer ${printer.name}: ${printer.buildVolume_mm.join(' × ')} mm; orientation ${o.up} up (${output.orientation.criterion}), ${o.size_mm.join(' × ')} mm, support ${o.supportArea_mm2} mm²`,
            `wall thickness: min ${output.thickness.min_mm} mm, 1st percentile ${output.thickness.p1_mm} mm; ${output.thickness.thinFeatures} features under ${printer.minFeature_mm} mm`,
            ...(output.dowels ? [`dowels: ${output.dowels.dowels.filter((d) => d.joined).length} joined (${output.dowels.dowels.map((d) => `${d.length_mm} mm${d.joined ? '' : ' not joined'}`).join(', ') || 'no separate shells'}); shells ${output.dowels.shellsBefore} → ${output.dowels.shellsAfter}`] : []),
            ...(output.hollow ? [`hollow: wall ${output.hollow.wall_mm} mm (measured min ${output.hollow.minWall_mm ?? '–'} mm), ${output.hollow.removed_mm3} mm³ removed, ${output.hollow.holes.length} drain holes, ${output.hollow.closedVoids} closed voids`] : []),
            output.fitsWhole ? 'fits whole' : `split: ${output.cuts.map((c) => `${c.axis} = ${c.position_mm} mm`).join(', ')}; ${output.connectors.length} connectors`,
            ...plateFiles.map((pl) => `wrote ${pl.file}: plate ${pl.plate}, ${pl.parts.map((x) => x.name).join(', ')}`),
            ...files.map((f) => `  ${f.name}: ${f.size_mm.join(' × ')} mm, ${f.volume_mm3} mm³, closed=${f.closed} manifold=${f.manifold} fits=${f.fits}`),
            `wrote ${recordFile}`,
            ...(record.findings ?? []).map((x) => `${x.severity}: ${x.message}`),
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
        }
      } catch (e) {
        out?.abort();
        throw e;
      } finally {
        progress.done();
      }
    });
};

/** The material; for a catalogue printer only one it uses (quote and the server refuse the rest alike). A build volume given as WxDxH takes any. */
function printerMaterial(printer: PrinterChoice, spec: string): MaterialSpec {
  const p = PRINT_CATALOGUE.printers.find((x) => x.id === printer.id);
  return p ? materialFor(p, spec) : resolveMaterial(spec);
}

/**
 * Refuses (exit 3, before any work) an output folder that already holds this model's part or
 * plate files: a new run writes its own set and would leave the earlier run's extra parts beside
 * it, which a technician printing the folder prints as extra pieces. Other commands replace only
 * the files they name, so there is no overwrite to follow here; the user clears the folder.
 */
function refuseStaleParts(dir: string, stem: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // no folder yet (or not one: preflightOutputs has said so)
  }
  const escaped = stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const mine = new RegExp(`^${escaped}_(part|plate)-\\d+\\.3mf$`);
  const stale = names.filter((n) => mine.test(n)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (!stale.length) return;
  const shown = stale.length > 5 ? `${stale.slice(0, 5).join(', ')} and ${stale.length - 5} more` : stale.join(', ');
  throw inputError('OUTPUT_HAS_PARTS', `already holds ${shown} from an earlier run of prepare on ${stem}: a new run would leave them beside its own parts, to be printed as extra pieces; remove them or choose another output folder`, dir);
}

interface PartFile {
  /** The 3MF that holds this part (its plate). */
  file: string;
  name: string;
  plate: number;
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
  /** Patient LPS → print frame (lowest corner at the origin). */
  printTransform: { rotation: number[]; translation: number[] };
  /** Patient LPS → bed (the 3MF build item's transform). */
  plateTransform: { rotation: number[]; translation: number[] };
}

interface PlateFile {
  file: string;
  plate: number;
  sha256: string;
  bytes: number;
  parts: { name: string; x: number; y: number; rotated: boolean }[];
}

/**
 * The plates' 3MF files. Their model XML is deflated by native zlib (util/native-deflate.ts), as `convert` and `mesh`
 * do: measured on the phantom skull's packed plates (philips-head-phantom-tilt, --decimate-ratio 0.25, 120 mm printer,
 * --dowels --plates packed), fflate took 0.37 s of the command's 5.6 s; the bytes differ, the same for every run.
 */
async function writePlates(out: OutputSet, output: PrepareOutput, dir: string, stem: string, date: string | undefined): Promise<{ parts: PartFile[]; plates: PlateFile[] }> {
  const byName = new Map(output.parts.map((p) => [p.name, p]));
  const parts: PartFile[] = [];
  const plates: PlateFile[] = [];
  for (const plate of output.plates) {
    const meshes = plate.parts.map((pp) => transformMesh(byName.get(pp.name)!.mesh, invert(byName.get(pp.name)!.transform)));
    // One object per part (group k = the plate's k-th part), each build item placing it on the bed.
    const combined = output.plateMode === 'each' ? meshes[0]! : concatMeshes(meshes.map((mm, k) => ({ ...mm, groups: new Uint32Array(mm.indices.length / 3).fill(k) })));
    const file = join(dir, output.plateMode === 'each' ? `${stem}_${plate.parts[0]!.name}.3mf` : `${stem}_plate-${String(plate.index).padStart(String(output.plates.length).length, '0')}.3mf`);
    const names: Record<number, { name: string }> = {};
    const transforms: Record<number, number[]> = {};
    plate.parts.forEach((pp, k) => {
      names[k] = { name: pp.name };
      transforms[k] = rigidTo3mfTransform(pp.transform.rotation, pp.transform.translation);
    });
    const title = output.plateMode === 'each' ? `${stem} ${plate.parts[0]!.name}` : `${stem} plate ${plate.index}`;
    const bytes = await write3mfAsync(combined, { title, split: output.plateMode === 'each' ? 'none' : 'groups', parts: names, transforms, ...(date ? { creationDate: date } : {}) }, undefined, nodeDeflater);
    out.write(file, bytes);
    const sha = sha256Hex(bytes);
    plates.push({ file, plate: plate.index, sha256: sha, bytes: bytes.length, parts: plate.parts.map(({ name, x, y, rotated }) => ({ name, x, y, rotated })) });
    plate.parts.forEach((pp, k) => {
      const p = byName.get(pp.name)!;
      parts.push({
        file,
        name: p.name,
        plate: plate.index,
        sha256: sha,
        bytes: bytes.length,
        bbox_mm: bbox(meshes[k]!),
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
        plateTransform: pp.transform,
      });
    });
  }
  // Parts in part order, whatever plate they are on.
  parts.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { parts, plates };
}

function dowelOptions(o: PrepareOptions): Partial<DowelParams> | false {
  if (!o.dowels) {
    if (o.dowelDiameter !== undefined || o.dowelMaxLength !== undefined) throw usageError('BAD_OPTION', '--dowel-diameter and --dowel-max-length need --dowels');
    return false;
  }
  const out: Partial<DowelParams> = {};
  const d = parseNumberOption(o.dowelDiameter, '--dowel-diameter', (x) => x > 0 && x < 50, 'a diameter in mm (0 < x < 50)');
  const l = parseNumberOption(o.dowelMaxLength, '--dowel-max-length', (x) => x > 0 && x <= 1000, 'a length in mm (0 < x ≤ 1000)');
  if (d !== undefined) out.diameter_mm = d;
  if (l !== undefined) out.maxLength_mm = l;
  return out;
}

function hollowOptions(o: PrepareOptions): (Partial<HollowParams> & { wall_mm: number }) | false {
  const wall = parseNumberOption(o.hollow, '--hollow', (x) => x > 0 && x < 50, 'a wall thickness in mm (0 < x < 50)');
  if (wall === undefined) {
    if (o.drainHoles !== undefined || o.drainDiameter !== undefined || o.hollowVoxel !== undefined) throw usageError('BAD_OPTION', '--drain-holes, --drain-diameter and --hollow-voxel need --hollow WALL_MM');
    return false;
  }
  const out: Partial<HollowParams> & { wall_mm: number } = { wall_mm: wall };
  const n = parseNumberOption(o.drainHoles, '--drain-holes', (x) => Number.isInteger(x) && x >= 0 && x <= 20, 'a whole number 0–20');
  const dd = parseNumberOption(o.drainDiameter, '--drain-diameter', (x) => x > 0 && x < 30, 'a diameter in mm (0 < x < 30)');
  const vx = parseNumberOption(o.hollowVoxel, '--hollow-voxel', (x) => x >= 0.05 && x <= 5, 'a voxel size in mm (0.05–5)');
  if (n !== undefined) out.drainHoles = n;
  if (dd !== undefined) out.drainDiameter_mm = dd;
  if (vx !== undefined) out.voxel_mm = vx;
  return out;
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

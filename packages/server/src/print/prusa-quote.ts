/**
 * quoteModel: the instant quote of a model file on disk for a catalogue printer and material.
 * FDM → PrusaSlicer's command line (`prusa-slicer --export-gcode`, supports on by default)
 * with a generated configuration (prusa-config.ts), its G-code's estimate parsed by core;
 * SLA/SLS/PolyJet → core's documented volume/height model (layer count and supports as asked). The model is read and checked
 * here first: PrusaSlicer silently repairs open or non-manifold meshes, and a quote for a
 * guessed repair is not a quote for the model the case approved.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkMesh,
  estimateByVolume,
  fitFootprint,
  footprintHull,
  inputError,
  meshFormatOf,
  parsePrusaGcode,
  priceQuote,
  readModelFile,
  ScanError,
  usageError,
  writeStlBinary,
  type MaterialSpec,
  type Mesh,
  type MeshCheck,
  type PrinterSpec,
  type Quote,
} from '@scan2print/core';
import { prusaConfig } from './prusa-config.js';

export interface QuoteOptions {
  /** Generate supports (default true: anatomy nearly always overhangs). */
  supports?: boolean;
  /** Where the configuration and G-code go (kept); default a temporary folder, removed after. */
  workDir?: string;
  signal?: AbortSignal;
  /** Layer height, mm, refused outside the printer's catalogue range (default: FDM 0.2 mm, otherwise the volume model's, within that range). */
  layerHeight_mm?: number;
  /** The PrusaSlicer executable (default `prusa-slicer` on PATH, or SCAN2PRINT_PRUSA_SLICER). */
  slicer?: string;
}

export async function quoteModel(modelFile: string, printer: PrinterSpec, material: MaterialSpec, opts: QuoteOptions = {}): Promise<Quote> {
  const supports = opts.supports ?? true;
  if (!printer.materials.includes(material.id)) throw usageError('MATERIAL_NOT_FOR_PRINTER', `${printer.id} does not print ${material.id} (it uses ${printer.materials.join(', ')})`);
  const { mesh, check } = readChecked(modelFile);
  const size: [number, number, number] = [0, 1, 2].map((k) => check.bbox_mm.max[k]! - check.bbox_mm.min[k]!) as [number, number, number];
  const turn_deg = turnToFit(modelFile, mesh, size, printer);
  if (printer.technology !== 'FDM') {
    const est = estimateByVolume({ volume_mm3: check.volume_mm3, height_mm: size[2], bbox_mm: size }, printer, material, { supports, ...(opts.layerHeight_mm !== undefined ? { layerHeight_mm: opts.layerHeight_mm } : {}) });
    const q = priceQuote(est, printer, material, 'volume-height-model', supports);
    return { ...q, layerHeight_mm: est.layerHeight_mm, model: est.model, ...(est.assumptions.length ? { assumptions: est.assumptions } : {}) };
  }
  const cfg = prusaConfig(printer, material, { supports, ...(opts.layerHeight_mm !== undefined ? { layerHeight_mm: opts.layerHeight_mm } : {}) });
  if (opts.workDir !== undefined) mkdirSync(opts.workDir, { recursive: true });
  const work = opts.workDir ?? mkdtempSync(join(tmpdir(), 's2p-quote-'));
  try {
    const ini = join(work, 'prusa-config.ini');
    writeFileSync(ini, cfg.ini);
    // PrusaSlicer reads .stl and .3mf itself; other formats go to it as the STL of what we read.
    let input = modelFile;
    const fmt = meshFormatOf(modelFile);
    if (fmt !== 'stl' && fmt !== '3mf') {
      input = join(work, 'model.stl');
      writeFileSync(input, writeStlBinary(mesh));
    }
    const gcode = join(work, 'model.gcode');
    // Turned about z only when it fits no other way (PrusaSlicer's arrange tries no turn).
    const rotate = turn_deg === 0 ? [] : ['--rotate', String(turn_deg)];
    const args = ['--datadir', join(work, 'prusa-datadir'), '--load', ini, '--export-gcode', '--output', gcode, '--loglevel', '1', ...rotate, input];
    await runSlicer(opts.slicer ?? process.env.SCAN2PRINT_PRUSA_SLICER ?? 'prusa-slicer', args, modelFile, printer, opts.signal);
    const est = parsePrusaGcode(headAndTail(gcode), gcode);
    if (est.filament_g === null) throw new ScanError('GCODE_NO_GRAMS', `${gcode}: PrusaSlicer gave no filament weight although the configuration sets a density`, { kind: 'internal' });
    const q = priceQuote({ printTime_s: est.printTime_s, material_g: est.filament_g }, printer, material, 'prusa-slicer', supports, est.slicer);
    return { ...q, layerHeight_mm: Number(cfg.settings.layer_height), configSha256: cfg.sha256, ...(cfg.assumptions.length ? { assumptions: cfg.assumptions } : {}) };
  } finally {
    if (opts.workDir === undefined) rmSync(work, { recursive: true, force: true });
  }
}

function readChecked(file: string): { mesh: Mesh; check: MeshCheck } {
  // A 3MF comes back as its build items place it (rigid only; scaling ones are refused), as
  // PrusaSlicer prints it: prepare's parts are measured on the bed, not in patient coordinates.
  const { mesh } = readModelFile(file, (f) => new Uint8Array(readFileSync(f)));
  if (mesh.indices.length === 0) throw inputError('EMPTY_MESH', 'the model has no triangles', file);
  const check = checkMesh(mesh);
  if (!check.closed || !check.manifold) {
    throw inputError('NOT_MANIFOLD', `not a closed manifold solid (${check.openEdges} open edges, ${check.nonManifoldEdges} non-manifold edges, ${check.nonManifoldVertices} non-manifold vertices): a slicer would have to guess a repair; repair the model first`, file);
  }
  return { mesh, check };
}

/**
 * The turn about z (degrees) the model is sliced at: 0 when it fits as it lies or with a
 * quarter turn (the slicer's arrangement does that), else the one fitFootprint finds for its
 * footprint hull (a long part across the bed); TOO_LARGE when no turn fits or it is too tall.
 */
function turnToFit(file: string, mesh: Mesh, size: [number, number, number], printer: PrinterSpec): number {
  const [w, d, h] = printer.buildVolume_mm.value;
  const fitsXY = (size[0] <= w && size[1] <= d) || (size[0] <= d && size[1] <= w);
  if (fitsXY && size[2] <= h) return 0;
  const used: number[] = [];
  for (const i of mesh.indices) used.push(mesh.positions[3 * i]!, mesh.positions[3 * i + 1]!, 0);
  const fit = size[2] <= h ? fitFootprint(footprintHull(used), { w, d }, 'room') : null;
  if (fit) return fit.turn_deg;
  const r = (x: number): number => Math.round(x * 10) / 10;
  throw inputError('TOO_LARGE', `${size.map(r).join(' × ')} mm does not fit ${printer.id} (${w} × ${d} × ${h} mm) at any turn about z: split it first (scan2print prepare)`, file);
}

/**
 * PrusaSlicer's summary comments sit in its first line and in the last few kB before the
 * configuration dump; a skull's G-code is ~100 MB, so only the two ends are read.
 */
function headAndTail(file: string): string {
  const TAIL = 512 * 1024;
  const fd = openSync(file, 'r');
  try {
    const size = statSync(file).size;
    const head = Buffer.alloc(Math.min(4096, size));
    readSync(fd, head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(TAIL, size));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    return `${head.toString('utf8')}\n${tail.toString('utf8')}`;
  } finally {
    closeSync(fd);
  }
}

function runSlicer(cmd: string, args: string[], modelFile: string, printer: PrinterSpec, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    let out = '';
    const keep = (d: Buffer): void => {
      out = (out + d.toString('utf8')).slice(-8192);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') reject(new ScanError('NO_SLICER', `${cmd} not found: FDM quotes need PrusaSlicer's command line (Debian: apt-get install prusa-slicer)`, { kind: 'internal', cause: e }));
      else if (e.name === 'AbortError') reject(e);
      else reject(new ScanError('SLICER_FAILED', `${modelFile}: could not run ${cmd} (${e.message})`, { kind: 'internal', cause: e }));
    });
    child.on('close', (code, sig) => {
      if (code === 0) return resolve();
      if (signal?.aborted) return; // the 'error' handler reports the abort
      const lines = out.split('\n').map((l) => l.replace(/^\[[^\]]*\] \[[^\]]*\] \[\w+\]\s*/, '').trim()).filter((l) => l && !/^\d+ => /.test(l));
      const last = lines.slice(-2).join(' / ');
      if (/could not fit on the bed|outside of the print volume|exceeds the maximum build volume height/i.test(out)) {
        reject(inputError('TOO_LARGE', `PrusaSlicer could not place the model on ${printer.id}'s bed (${printer.buildVolume_mm.value.join(' × ')} mm): ${last}; split it first (scan2print prepare)`, modelFile));
      } else reject(inputError('SLICER_FAILED', `PrusaSlicer failed (${code !== null ? `exit ${code}` : `signal ${sig}`}): ${last || 'no message'}`, modelFile));
    });
  });
}

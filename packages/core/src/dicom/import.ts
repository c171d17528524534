/**
 * The import stage (SPEC §1 step 1): DICOM sources → the chosen series as a Hounsfield
 * volume on an orthogonal grid in LPS millimetres.
 *
 * Pass 1 reads every source once and keeps only its parsed header; pass 2 reads the
 * chosen series' files again one by one and decodes them into one preallocated stack,
 * so peak memory is about one volume plus one file (two volumes while a tilted or
 * unevenly spaced stack is resampled). Sources are abstract, so the CLI (files, zip
 * entries) and the browser (File objects) use the same stage.
 */
import type { Volume } from '../geometry/types.js';
import { inputError } from '../errors.js';
import { round, type Finding, type StageContext, type StageResult } from '../pipeline/record.js';
import { acquiredPlanes, seriesFindings } from '../assess/series-findings.js';
import { sliceOutliersAsync } from '../assess/slice-outliers.js';
import { keepInt16SummaryOnPool } from '../assess/value-counts.js';
import { keepFloatHistogramOnPool } from '../assess/float-histogram.js';
import type { DicomInstance } from './types.js';
import { parseHeaderOrReason, unreadableReason, type HeaderOrReason } from './parse.js';
import { decodeFrames } from './decode.js';
import { chooseSeries, groupSeries, type SeriesSummary } from './series.js';
import { assembleSeries, type DecodeFn } from './assemble.js';
import type { StackGeometry } from './geometry.js';
import { yieldEvery } from '../parallel/yield.js';
import type { WorkerPool } from '../parallel/pool.js';
import { PARSE_HEADER_TASK } from './assemble-decode.js';

export interface DicomSource {
  /** Path or zip entry name, used in every message. */
  name: string;
  read(): Promise<Uint8Array>;
}

export interface ImportParams {
  /** SeriesInstanceUID (or a split part's "uid#n") or SeriesNumber; default: the largest axial CT. */
  series?: string;
  /** How many files pass 1 reads at once (default 8). */
  readConcurrency?: number;
  /**
   * Pass 1 keeps the bytes it read, up to this many in all (default 256 MiB), so that pass 2
   * decodes the chosen series' files without reading and parsing them again (~0.1 s CPU on a
   * 72 MB head series); files beyond it are read again. 0: keep nothing.
   */
  keepBytes?: number;
  /** Names the input in "nothing usable" messages (e.g. the paths given on the command line). */
  inputLabel?: string;
}

export interface UnreadableFile {
  file: string;
  reason: string;
}

export interface ImportOutput {
  volume: Volume;
  /** Headers of the chosen series, sorted by position along the slice normal (duplicates excluded). */
  instances: DicomInstance[];
  /** Every series and non-volume object found. */
  series: SeriesSummary[];
  chosen: SeriesSummary;
  geometry: StackGeometry;
  /** Slice steps along the normal before resampling (mm). */
  sliceSteps: { min: number; median: number; max: number };
  tiltDegrees: number;
  resampled: boolean;
  skipped: { notDicom: string[]; unreadable: UnreadableFile[] };
}

export interface ScanResult {
  headers: DicomInstance[];
  /** headers[i] came from sources[sourceIndex[i]]. */
  sourceIndex: number[];
  /** The bytes headers[i] was parsed from, where kept (scanSources' keepBytes). */
  bytes: Array<Uint8Array | undefined>;
  notDicom: string[];
  unreadable: UnreadableFile[];
}

/**
 * Pass 1: parse every source's header, keep no pixel data. Deterministic order (source order).
 * With a pool of more than one worker, headers of bytes in shared memory are parsed there (the
 * bytes are not copied): the CLI reads files into shared blocks, and parsing 140 headers on the
 * main thread kept both workers waiting (~0.1 s of a skull's import) while it also read the files.
 */
export async function scanSources(sources: DicomSource[], concurrency = 8, progress?: (f: number, m?: string) => void, keepBytes = 0, pool?: WorkerPool): Promise<ScanResult> {
  type Slot = { h: DicomInstance; bytes?: Uint8Array } | { bad: UnreadableFile } | null;
  let kept = 0;
  const slots: Slot[] = new Array(sources.length).fill(null);
  let next = 0, done = 0;
  const breathe = yieldEvery(); // header parsing is synchronous: let the host run between files
  const worker = async () => {
    while (next < sources.length) {
      const i = next++;
      const src = sources[i]!;
      let bytes: Uint8Array | undefined;
      let parsed: HeaderOrReason;
      try {
        bytes = await src.read();
      } catch (e) {
        parsed = { reason: unreadableReason(e, src.name) };
      }
      // (a pool that cannot run the task is an internal error, not a file's: it is thrown)
      parsed ??= pool && pool.size > 1 && bytes!.buffer instanceof SharedArrayBuffer
        ? await pool.run<HeaderOrReason>(PARSE_HEADER_TASK, { bytes, name: src.name })
        : parseHeaderOrReason(bytes!, src.name);
      if ('reason' in parsed) slots[i] = { bad: { file: src.name, reason: parsed.reason } };
      else {
        const h = parsed.h;
        const keep = h !== null && kept + bytes!.length <= keepBytes;
        if (keep) kept += bytes!.length;
        slots[i] = h ? (keep ? { h, bytes: bytes! } : { h }) : null;
      }
      done++;
      if (progress && (done % 16 === 0 || done === sources.length)) progress(done / sources.length, `read ${done}/${sources.length} headers`);
      await breathe();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, sources.length)) }, worker));
  const out: ScanResult = { headers: [], sourceIndex: [], bytes: [], notDicom: [], unreadable: [] };
  slots.forEach((s, i) => {
    if (s === null) out.notDicom.push(sources[i]!.name);
    else if ('bad' in s) out.unreadable.push(s.bad);
    else {
      out.headers.push(s.h);
      out.sourceIndex.push(i);
      out.bytes.push(s.bytes);
    }
  });
  return out;
}

function nothingUsable(scan: ScanResult, sources: DicomSource[], kinds: string[], label?: string): Error {
  const where = label ?? (sources.length === 1 ? sources[0]!.name : `${sources.length} files`);
  if (sources.length === 0) return inputError('NO_FILES', 'no files found', where);
  const parts: string[] = [];
  if (scan.notDicom.length) parts.push(`${scan.notDicom.length} not DICOM`);
  if (scan.unreadable.length) parts.push(`${scan.unreadable.length} unreadable (${scan.unreadable.slice(0, 3).map((u) => `${u.file}: ${u.reason}`).join('; ')}${scan.unreadable.length > 3 ? '; …' : ''})`);
  if (kinds.length) parts.push(`only non-volume objects: ${kinds.join(', ')}`);
  if (sources.length === 1 && scan.unreadable.length === 1) return inputError('UNREADABLE_DICOM', scan.unreadable[0]!.reason, sources[0]!.name);
  return inputError('NO_SERIES', `no image series to import (${parts.join('; ')})`, where);
}

/**
 * Imports one series. Errors: ScanError kind 'input' when nothing usable is found or
 * the chosen series cannot be decoded (message names the file), kind 'usage' when
 * `params.series` matches no series.
 */
export async function importSeries(sources: DicomSource[], params: ImportParams = {}, ctx: StageContext = {}): Promise<StageResult<ImportOutput>> {
  const t0 = performance.now();
  const progress = ctx.progress;
  const scan = await scanSources(sources, params.readConcurrency ?? 8, progress ? (f, m) => progress(0.4 * f, m) : undefined, params.keepBytes ?? 256 * 2 ** 20, ctx.pool);
  const groups = groupSeries(scan.headers);
  const chosenGroup = chooseSeries(groups, params.series);
  if (!chosenGroup) {
    throw nothingUsable(scan, sources, [...new Set(groups.map((g) => g.summary.kind))], params.inputLabel);
  }
  const t1 = performance.now();
  const members = chosenGroup.members;
  const instances = members.map((i) => scan.headers[i]!);
  // the chosen files' bytes from pass 1 (each handed out once, then let go); the rest are dropped now
  const kept = members.map((i) => scan.bytes[i]);
  scan.bytes = [];
  const read = (i: number): Promise<Uint8Array> => {
    const b = kept[i];
    kept[i] = undefined;
    return b ? Promise.resolve(b) : sources[scan.sourceIndex[members[i]!]!]!.read();
  };
  const decode: DecodeFn = decodeFrames;
  const asm = await assembleSeries(
    { instances, read, decode },
    ctx.pool,
    progress ? (f, m) => progress(0.4 + 0.6 * f, m) : undefined,
  );
  const t2 = performance.now();
  const geo = asm.geometry;
  // the outlier slices are counted on the pool where there is one (a pass over the whole volume),
  // and beside them the voxel values (kept with the array: the assessment's histogram, the
  // automatic threshold and the metal flag read them instead of a pass on this thread); for
  // float HU, the assessment's histogram (float-histogram.ts)
  const planes = acquiredPlanes(geo, asm.volume.grid.dims[2], asm.outputStep_mm, (i) => instances[i]!.file);
  const [outliers] = await Promise.all([sliceOutliersAsync(asm.volume, planes, ctx.pool), keepInt16SummaryOnPool(asm.volume.data, ctx.pool), keepFloatHistogramOnPool(asm.volume.data, ctx.pool)]);
  const findings: Finding[] = seriesFindings({ geometry: geo, chosen: chosenGroup.summary, instances, outputStep_mm: asm.outputStep_mm, volume: asm.volume, outliers });
  if (scan.unreadable.length) {
    findings.push({
      code: 'UNREADABLE_FILES',
      severity: 'warn',
      message: `${scan.unreadable.length} DICOM file(s) could not be read and were left out (if they belonged to this series, slices are missing): ${scan.unreadable.slice(0, 5).map((u) => `${u.file}: ${u.reason}`).join('; ')}`,
      files: scan.unreadable.map((u) => u.file),
    });
  }
  const st = geo.stepStats;
  const sliceSteps = { min: st.min, median: st.median, max: st.max };
  const tags = [...new Set(instances.map((h) => h.acquisition.gantryDetectorTilt_deg).filter((x) => x !== undefined))];
  const notes = [...asm.notes];
  if (tags.length && geo.sheared && Math.sign(tags[0]!) !== Math.sign(geo.tiltDegrees)) {
    notes.push(`GantryDetectorTilt tag says ${tags[0]}°, the positions give ${geo.tiltDegrees.toFixed(2)}° in our convention (vendors differ in the tag's sign); geometry is taken from the positions`);
  }
  const g = asm.volume.grid;
  return {
    output: {
      volume: asm.volume,
      instances: asm.sortedInstances,
      series: groups.map((x) => x.summary),
      chosen: chosenGroup.summary,
      geometry: geo,
      sliceSteps,
      tiltDegrees: geo.tiltDegrees,
      resampled: asm.resampled,
      skipped: { notDicom: scan.notDicom, unreadable: scan.unreadable },
    },
    record: {
      stage: 'import',
      method: asm.resampled ? 'dicom-stack-resampled' : 'dicom-stack',
      params: { series: params.series ?? null, selection: params.series ? 'requested' : 'largest axial CT volume', outputStepRule: asm.stepRule },
      figures: {
        files_total: sources.length,
        files_dicom: scan.headers.length,
        files_notDicom: scan.notDicom.length,
        files_unreadable: scan.unreadable.length,
        series_found: groups.length,
        chosenSeriesUid: chosenGroup.summary.uid,
        chosenSeriesNumber: chosenGroup.summary.number ?? null,
        modality: chosenGroup.summary.modality ?? null,
        slices: geo.slices.length,
        duplicatesDropped: geo.duplicates.length,
        sliceSteps_mm: { min: round(st.min, 4), median: round(st.median, 4), max: round(st.max, 4), mean: round(st.mean, 4) },
        maxPositionResidual_mm: round(geo.maxPositionResidual_mm, 4),
        tiltDegrees: round(geo.tiltDegrees, 3),
        gantryDetectorTiltTag_deg: tags.length ? tags[0] : null,
        pixelSpacing_mm: [geo.spacingU_mm, geo.spacingV_mm],
        sliceThicknessTag_mm: instances[0]!.sliceThickness ?? null,
        outputStep_mm: round(asm.outputStep_mm, 4),
        dims: g.dims,
        spacing_mm: g.spacing_mm,
        origin_mm: g.origin_mm.map((x) => round(x, 4)),
        direction: g.direction.map((x) => round(x, 6)),
        voxelType: asm.volume.data instanceof Int16Array ? 'int16' : 'float32',
        outsideFieldFill_HU: asm.fill,
        scan_ms: round(t1 - t0, 1),
        decodeAndResample_ms: round(t2 - t1, 1),
      },
      findings,
      corrections: asm.corrections,
      notes,
      wall_ms: round(performance.now() - t0, 1),
    },
  };
}

/**
 * `scan2print inspect <path…>`: the series found, and for the chosen series its grid,
 * geometry (tilt, slice steps), HU range and the input assessment findings.
 */
import type { Command } from 'commander';
import { assessVolume, type Finding, type ImportOutput, type StageRecord } from '@scan2print/core';
import { importFromPaths } from '../io/import-input.js';
import type { RegisterCommand } from './index.js';

interface InspectOptions {
  series?: string;
  json?: boolean;
  quiet?: boolean;
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4 + 0;
const r6 = (x: number) => Math.round(x * 1e6) / 1e6 + 0;

/** The JSON shape of `inspect --json` (also used by tests and scripts). */
export function inspectJson(out: ImportOutput, importRecord: StageRecord, assessRecord: StageRecord, findings: Finding[], huRange: [number, number]) {
  const g = out.volume.grid;
  return {
    files: {
      total: importRecord.figures.files_total,
      dicom: importRecord.figures.files_dicom,
      notDicom: out.skipped.notDicom.length,
      unreadable: out.skipped.unreadable,
    },
    skippedFiles: out.skipped.notDicom.length + out.skipped.unreadable.length,
    series: out.series.map((s) => ({
      uid: s.uid,
      number: s.number ?? null,
      modality: s.modality ?? null,
      description: s.description ?? null,
      files: s.files,
      frames: s.frames,
      rows: s.rows ?? null,
      columns: s.columns ?? null,
      kind: s.kind,
      orientation: s.orientation ?? null,
      chosen: s.uid === out.chosen.uid,
      ...(s.split ? { split: s.split } : {}),
    })),
    chosen: {
      uid: out.chosen.uid,
      number: out.chosen.number ?? null,
      modality: out.chosen.modality ?? null,
      description: out.chosen.description ?? null,
      slices: out.geometry.slices.length,
      dims: [...g.dims],
      spacing_mm: g.spacing_mm.map(r6),
      origin_mm: g.origin_mm.map(r4),
      direction: g.direction.map(r6),
      tiltDegrees: r4(out.tiltDegrees),
      sliceSteps: { min: r4(out.sliceSteps.min), median: r4(out.sliceSteps.median), max: r4(out.sliceSteps.max) },
      resampled: out.resampled,
      huRange: huRange.map((x) => Math.round(x * 100) / 100),
      voxelType: out.volume.data instanceof Int16Array ? 'int16' : 'float32',
    },
    findings,
    records: [importRecord, assessRecord],
  };
}

function fmtVec(v: readonly number[], d = 3): string {
  return v.map((x) => (Math.round(x * 10 ** d) / 10 ** d + 0).toFixed(d)).join(', ');
}

function text(j: ReturnType<typeof inspectJson>, corrections: string[], notes: string[]): string {
  const L: string[] = [];
  L.push(`files: ${j.files.total} (${j.files.dicom} DICOM, ${j.files.notDicom} not DICOM, ${j.files.unreadable.length} unreadable)`);
  for (const u of j.files.unreadable.slice(0, 10)) L.push(`  unreadable: ${u.file}: ${u.reason}`);
  L.push('', 'series:');
  const rows = [['', 'number', 'modality', 'kind', 'files', 'planes', 'size', 'orient.', 'description', 'uid']];
  for (const s of j.series) {
    rows.push([s.chosen ? '*' : '', String(s.number ?? '-'), s.modality ?? '-', s.kind, String(s.files), String(s.frames), s.rows ? `${s.columns}×${s.rows}` : '-', s.orientation ?? '-', s.description ?? '', s.uid]);
  }
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) L.push(`  ${r.map((x, c) => x.padEnd(w[c]!)).join('  ')}`.trimEnd());
  const c = j.chosen;
  const dir = c.direction;
  L.push(
    '',
    `chosen series ${c.number ?? '-'} ${c.description ? `"${c.description}" ` : ''}(${c.uid})`,
    `  grid        ${c.dims.join(' × ')} voxels (${c.voxelType})${c.resampled ? ', resampled' : ''}; ${c.slices} acquired slices`,
    `  spacing     ${fmtVec(c.spacing_mm, 4)} mm`,
    `  origin      ${fmtVec(c.origin_mm, 3)} mm (LPS)`,
    `  direction   i (${fmtVec(dir.slice(0, 3), 4)})  j (${fmtVec(dir.slice(3, 6), 4)})  k (${fmtVec(dir.slice(6, 9), 4)})`,
    `  tilt        ${c.tiltDegrees.toFixed(2)}° (from slice positions)`,
    `  slice steps min ${c.sliceSteps.min.toFixed(3)}, median ${c.sliceSteps.median.toFixed(3)}, max ${c.sliceSteps.max.toFixed(3)} mm (along the normal, before resampling)`,
    `  HU range    ${c.huRange[0]} … ${c.huRange[1]}`,
  );
  for (const x of corrections) L.push(`  corrected:  ${x}`);
  for (const x of notes) L.push(`  note:       ${x}`);
  L.push('', j.findings.length ? 'findings:' : 'findings: none');
  for (const f of j.findings) L.push(`  ${f.severity.padEnd(5)} ${f.code}: ${f.message}`);
  return `${L.join('\n')}\n`;
}

export const registerInspect: RegisterCommand = (program: Command) => {
  program
    .command('inspect')
    .description('list the DICOM series in folders, files or .zip archives; show the chosen series\' geometry, HU range and input findings')
    .argument('<path...>', 'DICOM folders (searched recursively), files or .zip archives')
    .option('--series <uid|number>', 'series to inspect: SeriesInstanceUID or SeriesNumber (default: the largest axial CT series)')
    .option('--json', 'print one JSON object (series[], chosen{dims, spacing_mm, origin_mm, direction, tiltDegrees, sliceSteps, huRange}, findings[], skippedFiles)')
    .option('-q, --quiet', 'no progress line')
    .action(async (paths: string[], opts: InspectOptions) => {
      const imp = await importFromPaths(paths, opts);
      const out = imp.output;
      const as = assessVolume({ volume: out.volume, ...(out.chosen.modality ? { modality: out.chosen.modality } : {}) });
      const findings = [...(imp.record.findings ?? []), ...(as.record.findings ?? [])];
      const j = inspectJson(out, imp.record, as.record, findings, as.output.huRange);
      if (opts.json) process.stdout.write(`${JSON.stringify(j, null, 2)}\n`);
      else process.stdout.write(text(j, imp.record.corrections ?? [], imp.record.notes ?? []));
    });
};

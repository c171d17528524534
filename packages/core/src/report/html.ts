/**
 * The readable, self-contained HTML page of a report: inline CSS, images as data URIs,
 * no scripts, no external resources (it must open from an e-mail attachment or a USB stick).
 */
import type { Report } from './schema.js';

export interface ReportImages {
  slices: Array<{ title: string; dataUri: string }>;
  models: Array<{ title: string; dataUri: string }>;
}

const esc = (s: unknown): string =>
  String(s ?? '—').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function fmt(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
  if (Array.isArray(v)) return v.map(fmt).join(' × ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function table(rows: Array<[string, unknown]>): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(fmt(v))}</td></tr>`).join('')}</table>`;
}

function recordTable(title: string, recs: Report['segmentation']): string {
  if (!recs.length) return '';
  const rows = recs
    .map(
      (r) =>
        `<tr><td>${esc(r.stage)}</td><td>${esc(r.method)}</td><td><code>${esc(JSON.stringify(r.params))}</code></td><td><code>${esc(
          JSON.stringify(r.figures, (_k, v) => (Array.isArray(v) && v.length > 24 ? `[${v.length} values]` : v)),
        )}</code></td><td>${esc(fmt(r.wall_ms))}</td></tr>`,
    )
    .join('');
  return `<h2>${esc(title)}</h2><table class="wide"><tr><th>stage</th><th>method</th><th>parameters</th><th>figures</th><th>ms</th></tr>${rows}</table>`;
}

export function renderReportHtml(report: Report, images: ReportImages): string {
  const a = report.acquisition;
  const sev = (s: string) => (s === 'error' ? 'err' : s === 'warn' ? 'warn' : 'info');
  const findings = report.findings.length
    ? `<ul>${report.findings.map((f) => `<li class="${sev(f.severity)}"><b>${esc(f.code)}</b> (${esc(f.severity)}): ${esc(f.message)}</li>`).join('')}</ul>`
    : '<p>No findings.</p>';
  const models = report.models
    .map(
      (m) => `<h3>${esc(m.name)}</h3>${table([
        ['threshold (HU)', m.threshold],
        ...Object.entries(m.checks).filter(([, v]) => typeof v !== 'object' || Array.isArray(v)) as Array<[string, unknown]>,
        ...Object.entries(m.accuracy ?? {}).filter(([, v]) => typeof v !== 'object' || Array.isArray(v)).map(([k, v]) => [`accuracy: ${k}`, v] as [string, unknown]),
      ])}<table class="wide"><tr><th>file</th><th>format</th><th>bytes</th><th>SHA-256</th></tr>${m.outputs
        .map((o) => `<tr><td>${esc(o.file)}</td><td>${esc(o.format)}</td><td>${o.bytes}</td><td><code>${esc(o.sha256)}</code></td></tr>`)
        .join('')}</table>`,
    )
    .join('');
  const an = report.anatomy;
  const anatomy = an
    ? `<h2>Anatomy</h2><p>Identified with the anatomical graph ${esc(an.graph)}; body region(s) of the scan: ${esc(an.region.join(', ') || 'none')}. Left/right in patient terms (DICOM LPS: +x is the patient's left).</p>` +
      `<table class="wide"><tr><th>structure</th><th>side</th><th>volume (cm³)</th><th>bounding box (mm, LPS min → max)</th><th>confidence</th><th>modelled</th></tr>${an.structures
        .map((st) => `<tr><td>${esc(st.name)}</td><td>${esc(st.side ?? 'midline')}</td><td>${esc(fmt(st.volume_mm3 / 1000))}</td><td>${esc(fmt(st.bbox_mm))}</td><td>${esc(fmt(st.confidence))}</td><td>${st.modelled ? 'yes' : 'no'}</td></tr>`)
        .join('')}</table>` +
      (an.missing.length ? `<p>Expected but not found: ${an.missing.map((m) => esc(m.name)).join(', ')}.</p>` : '') +
      (an.unassigned.length ? `<p>Bone regions that fit no structure: ${an.unassigned.map((u) => `${esc(fmt(u.volume_mm3 / 1000))} cm³ (${esc(u.reason)})`).join('; ')}.</p>` : '')
    : '';
  const figure = (im: { title: string; dataUri: string }) => `<figure><img src="${im.dataUri}" alt="${esc(im.title)}"><figcaption>${esc(im.title)}</figcaption></figure>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>scan2print report</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}table.wide{width:100%}code{font-size:12px;word-break:break-all}
.err{color:#a00}.warn{color:#a60}figure{display:inline-block;margin:.5em}img{max-width:360px;border:1px solid #ccc}
</style></head><body>
<h1>scan2print model report</h1>
<p>ISO/IEC 3532-1 clause 5 / Annex A record. Schema <code>${esc(report.schema)}</code>, generated ${esc(report.generatedAt)} by scan2print ${esc(report.software.version)}. All lengths in millimetres, patient coordinates (DICOM LPS).</p>
<h2>Request</h2>${table([['clinical purpose', report.request.purpose], ['tissue / anatomy', report.request.tissue], ['forced past errors', report.request.forced]])}
<h2>Input</h2>${table([['files', report.input.files], ['skipped (not DICOM)', report.input.skippedFiles], ['SHA-256 (sorted source files)', report.input.sha256], ['series', report.input.seriesDescription], ['series UID', report.input.seriesInstanceUid]])}
<h2>Acquisition protocol</h2>${table([
    ['manufacturer', a.manufacturer], ['model', a.model], ['kVp', a.kvp], ['exposure (mAs)', a.exposure_mAs], ['convolution kernel', a.convolutionKernel],
    ['slice thickness (mm)', a.sliceThickness_mm], ['slice step (mm)', a.sliceStep_mm], ['pixel spacing (mm)', a.pixelSpacing_mm], ['grid', a.dims],
    ['voxel spacing after import (mm)', a.spacing_mm], ['orientation (axis cosines)', a.direction], ['gantry tilt (°)', a.tiltDegrees],
  ])}
<h2>Input assessment</h2>${findings}
<h2>Images</h2>${images.slices.map(figure).join('')}${images.models.map(figure).join('')}
${recordTable('Segmentation', report.segmentation)}
${recordTable('Reconstruction and conditioning', report.reconstruction)}
${anatomy}
<h2>Models, mesh checks and accuracy</h2>${models}
<h2>Software</h2>${table([['scan2print', report.software.version], ...Object.entries(report.software.libraries)])}
<h2>Stages</h2><table><tr><th>stage</th><th>method</th><th>wall (ms)</th><th>peak RSS (MB)</th></tr>${report.stages
    .map((s) => `<tr><td>${esc(s.stage)}</td><td>${esc(s.method)}</td><td>${esc(fmt(s.wall_ms))}</td><td>${s.peakRss_bytes ? Math.round(s.peakRss_bytes / 1048576) : '—'}</td></tr>`)
    .join('')}</table>
</body></html>
`;
}

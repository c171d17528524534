/**
 * The ISO/IEC 3532-1 model report as a PDF, for a PACS (Encapsulated PDF) and for people who
 * print it: request, input, acquisition, findings, every stage record with its parameters and
 * figures, each model's checks, accuracy and outputs (with checksums), stage timings.
 *
 * pdf-lib draws it (no native code, runs in the browser and in Node). The bytes depend only on
 * the report: the document dates are the report's generatedAt, pdf-lib is told not to stamp
 * its own, and the standard fonts are not embedded. Files that have no DICOM class of their
 * own (the 3MF) travel as PDF attachments (embedded files).
 */
// pdf-lib is loaded when a PDF is made, not with core: every CLI run and worker imports core,
// and pdf-lib alone was ~180 ms of CPU at start-up (the PDF is written by few commands).
import type { Color, PDFDocument, PDFFont, PDFPage } from 'pdf-lib';
import { usageError } from '../errors.js';
import type { Report } from '../report/schema.js';

export interface PdfAttachment {
  name: string;
  bytes: Uint8Array;
  mimeType: string;
  description?: string;
}

export interface ReportPdfOptions {
  /** Shown under the title (e.g. the case's title or id); never patient data. */
  subtitle?: string;
  attachments?: PdfAttachment[];
}

const PAGE_W = 595.28; // A4 in points
const PAGE_H = 841.89;
const MARGIN = 48;
const BODY = 9;
const LEAD = 11.5;
const KEY_W = 150;

// Helvetica's WinAnsi encoding: Latin-1 plus these; anything else is spelled out or replaced.
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
const SPELLED: Record<string, string> = { '≤': '<=', '≥': '>=', '≈': '~', '→': '->', '←': '<-', '−': '-', '∞': 'inf', 'μ': 'u', 'Δ': 'delta', '√': 'sqrt', '≠': '!=', '·': '.', '³': '3', '²': '2' };

/** Text Helvetica can draw: characters outside WinAnsi spelled out or replaced by '?'. */
export function winAnsiText(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if ((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || WIN_ANSI_EXTRA.has(ch)) out += ch;
    else if (ch === '\t') out += '  ';
    else if (ch in SPELLED) out += SPELLED[ch];
    else if (c < 0x20) out += ' ';
    else out += '?';
  }
  return out;
}

/** A figure as text: numbers to 6 significant digits, short arrays inline, objects as key: value. */
export function formatValue(v: unknown, depth = 0): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    return String(Number(v.toPrecision(6)));
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) {
    if (depth > 2) return `[${v.length} items]`;
    const shown = v.slice(0, 12).map((x) => formatValue(x, depth + 1));
    return `[${shown.join(', ')}${v.length > 12 ? `, ... (${v.length} in all)` : ''}]`;
  }
  if (typeof v === 'object') {
    if (depth > 2) return '{...}';
    const entries = Object.entries(v as Record<string, unknown>);
    return `{${entries.map(([k, x]) => `${k}: ${formatValue(x, depth + 1)}`).join(', ')}}`;
  }
  return String(v);
}

class Layout {
  private page!: PDFPage;
  private y = 0;
  readonly pages: PDFPage[] = [];
  constructor(
    private readonly doc: PDFDocument,
    readonly font: PDFFont,
    readonly bold: PDFFont,
    private readonly rgb: (r: number, g: number, b: number) => Color,
  ) {
    this.newPage();
  }

  private newPage(): void {
    this.page = this.doc.addPage([PAGE_W, PAGE_H]);
    this.pages.push(this.page);
    this.y = PAGE_H - MARGIN;
  }

  private room(h: number): void {
    if (this.y - h < MARGIN + 14) this.newPage();
  }

  /** Splits text into lines no wider than `width` (breaking inside words that are longer, e.g. checksums). */
  wrap(text: string, font: PDFFont, size: number, width: number): string[] {
    const lines: string[] = [];
    for (const para of winAnsiText(text).split('\n')) {
      let line = '';
      for (const word of para.split(' ')) {
        const next = line ? `${line} ${word}` : word;
        if (font.widthOfTextAtSize(next, size) <= width) {
          line = next;
          continue;
        }
        if (line) lines.push(line);
        line = '';
        let rest = word;
        while (font.widthOfTextAtSize(rest, size) > width) {
          let n = rest.length - 1;
          while (n > 1 && font.widthOfTextAtSize(rest.slice(0, n), size) > width) n--;
          lines.push(rest.slice(0, n));
          rest = rest.slice(n);
        }
        line = rest;
      }
      lines.push(line);
    }
    return lines;
  }

  text(s: string, o: { size?: number; bold?: boolean; indent?: number; gap?: number; grey?: boolean } = {}): void {
    const size = o.size ?? BODY;
    const font = o.bold ? this.bold : this.font;
    const x = MARGIN + (o.indent ?? 0);
    const lead = size * 1.28;
    for (const line of this.wrap(s, font, size, PAGE_W - MARGIN - x)) {
      this.room(lead);
      this.y -= lead;
      this.page.drawText(line, { x, y: this.y, size, font, color: o.grey ? this.rgb(0.35, 0.35, 0.35) : this.rgb(0, 0, 0) });
    }
    this.y -= o.gap ?? 0;
  }

  heading(s: string): void {
    this.room(40);
    this.y -= 8;
    this.text(s, { size: 12, bold: true, gap: 3 });
    this.page.drawLine({ start: { x: MARGIN, y: this.y + 1 }, end: { x: PAGE_W - MARGIN, y: this.y + 1 }, thickness: 0.5, color: this.rgb(0.6, 0.6, 0.6) });
    this.y -= 3;
  }

  /** A key in the left column and its (wrapped) value beside it. */
  row(key: string, value: string, indent = 0): void {
    const x = MARGIN + indent;
    const keyLines = this.wrap(key, this.bold, BODY, KEY_W - 6);
    const valLines = this.wrap(value, this.font, BODY, PAGE_W - MARGIN - x - KEY_W);
    const n = Math.max(keyLines.length, valLines.length);
    for (let i = 0; i < n; i++) {
      this.room(LEAD);
      this.y -= LEAD;
      if (keyLines[i]) this.page.drawText(keyLines[i]!, { x, y: this.y, size: BODY, font: this.bold });
      if (valLines[i]) this.page.drawText(valLines[i]!, { x: x + KEY_W, y: this.y, size: BODY, font: this.font });
    }
  }

  footers(left: string): void {
    this.pages.forEach((p, i) => {
      const size = 7.5;
      p.drawText(winAnsiText(left), { x: MARGIN, y: MARGIN - 20, size, font: this.font, color: this.rgb(0.4, 0.4, 0.4) });
      const right = `page ${i + 1} of ${this.pages.length}`;
      p.drawText(right, { x: PAGE_W - MARGIN - this.font.widthOfTextAtSize(right, size), y: MARGIN - 20, size, font: this.font, color: this.rgb(0.4, 0.4, 0.4) });
    });
  }
}

function records(l: Layout, title: string, recs: Report['records']): void {
  l.heading(title);
  if (recs.length === 0) l.text('none recorded', { grey: true });
  for (const r of recs) {
    l.text(`${r.stage}: ${r.method}`, { bold: true, gap: 1 });
    for (const [k, v] of Object.entries(r.params)) l.row(k, formatValue(v), 8);
    for (const [k, v] of Object.entries(r.figures)) l.row(k, formatValue(v), 8);
    for (const f of r.findings ?? []) l.row(`${f.severity} ${f.code}`, f.message, 8);
    for (const c of r.corrections ?? []) l.row('correction', c, 8);
    for (const n of r.notes ?? []) l.row('note', n, 8);
    l.text('', { gap: 2 });
  }
}

function parseDate(s: string): Date {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw usageError('BAD_REPORT', `report PDF: generatedAt "${s}" is not a date`);
  return d;
}

/** Renders `report` as a PDF (A4). Same report and attachments → same bytes. */
export async function renderReportPdf(report: Report, opts: ReportPdfOptions = {}): Promise<Uint8Array> {
  const when = parseDate(report.generatedAt);
  // Named exports, or one default export holding them where a bundler wrapped the package's
  // CommonJS build (esbuild does for Node; see dicom/codecs/jpeg-lossless.ts).
  const mod: typeof import('pdf-lib') & { default?: typeof import('pdf-lib') } = await import('pdf-lib');
  const { PDFDocument, StandardFonts, rgb } = typeof mod.PDFDocument === 'function' ? mod : mod.default!;
  const doc = await PDFDocument.create({ updateMetadata: false });
  const title = 'Model report (ISO/IEC 3532-1)';
  doc.setTitle(title);
  doc.setSubject(winAnsiText(opts.subtitle ?? `${report.request.tissue} model`));
  doc.setCreator(`scan2print ${report.software.version}`);
  doc.setProducer('scan2print with pdf-lib');
  doc.setCreationDate(when);
  doc.setModificationDate(when);
  const l = new Layout(doc, await doc.embedFont(StandardFonts.Helvetica), await doc.embedFont(StandardFonts.HelveticaBold), rgb);

  l.text(title, { size: 17, bold: true, gap: 2 });
  if (opts.subtitle) l.text(opts.subtitle, { size: 11, gap: 2 });
  l.text(`scan2print ${report.software.version}, generated ${report.generatedAt} (${report.schema})`, { grey: true, gap: 4 });

  l.heading('Request');
  l.row('Clinical purpose', report.request.purpose ?? '-');
  l.row('Tissue / anatomy', report.request.tissue);
  l.row('Forced past errors', formatValue(report.request.forced));

  l.heading('Input');
  l.row('Files', `${report.input.files} read, ${report.input.skippedFiles} skipped`);
  l.row('Input SHA-256', report.input.sha256 ?? '-');
  l.row('Series Instance UID', report.input.seriesInstanceUid ?? '-');
  l.row('Series description', report.input.seriesDescription ?? '-');

  l.heading('Acquisition');
  const a = report.acquisition;
  l.row('Scanner', [a.manufacturer, a.model].filter(Boolean).join(' ') || '-');
  l.row('kVp', formatValue(a.kvp));
  l.row('Exposure (mAs)', formatValue(a.exposure_mAs));
  l.row('Convolution kernel', a.convolutionKernel ?? '-');
  l.row('Slice thickness (mm)', formatValue(a.sliceThickness_mm));
  l.row('Slice step (mm)', formatValue(a.sliceStep_mm));
  l.row('Pixel spacing (mm)', formatValue(a.pixelSpacing_mm));
  l.row('Grid (voxels)', formatValue(a.dims));
  l.row('Voxel spacing (mm)', formatValue(a.spacing_mm));
  l.row('Gantry tilt (degrees)', formatValue(a.tiltDegrees));

  l.heading('Findings');
  if (report.findings.length === 0) l.text('none', { grey: true });
  for (const f of report.findings) l.row(`${f.severity.toUpperCase()} ${f.code}`, f.message + (f.files?.length ? ` (${f.files.length} file(s))` : ''));

  records(l, 'Segmentation', report.segmentation);
  records(l, 'Reconstruction and conditioning', report.reconstruction);

  l.heading('Models');
  for (const m of report.models) {
    l.text(m.name, { bold: true, size: 10, gap: 1 });
    if (m.threshold !== undefined) l.row('Threshold', formatValue(m.threshold), 8);
    for (const [k, v] of Object.entries(m.checks)) l.row(k, formatValue(v), 8);
    if (m.accuracy) for (const [k, v] of Object.entries(m.accuracy)) l.row(`accuracy ${k}`, formatValue(v), 8);
    for (const o of m.outputs) l.row(`${o.file} (${o.format})`, `${o.bytes} bytes, SHA-256 ${o.sha256}`, 8);
    l.text('', { gap: 2 });
  }

  l.heading('Stages');
  for (const st of report.stages) l.row(`${st.stage}`, `${st.method}; ${st.wall_ms === null ? '-' : `${Math.round(st.wall_ms)} ms`}`);

  const attachments = opts.attachments ?? [];
  if (attachments.length) {
    l.heading('Attached files');
    for (const f of attachments) l.row(f.name, `${f.mimeType}, ${f.bytes.length} bytes${f.description ? `: ${f.description}` : ''}`);
  }
  for (const f of attachments) {
    await doc.attach(f.bytes, f.name, { mimeType: f.mimeType, description: f.description ?? f.name, creationDate: when, modificationDate: when });
  }
  l.footers(`scan2print ${report.software.version} - ${title}`);
  return doc.save({ useObjectStreams: false });
}

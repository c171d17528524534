import { decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFRawStream, PDFString } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { reportSchema, type Report } from '../report/schema.js';
import { formatValue, renderReportPdf, winAnsiText } from './report-pdf.js';

const SHA = 'ab'.repeat(32);

function sampleReport(): Report {
  const record = (stage: string, method: string, params: Record<string, unknown>, figures: Record<string, unknown>) => ({ stage, method, params, figures });
  return reportSchema.parse({
    schema: 'scan2print.report/1',
    generatedAt: '2026-11-30T12:00:00.000Z',
    software: { name: 'scan2print', version: '0.1.0', libraries: { 'pdf-lib': '1.17.1' } },
    request: { purpose: 'surgical planning — mandible', tissue: 'skull', forced: false },
    input: { files: 28, skippedFiles: 0, sha256: SHA, seriesInstanceUid: '1.2.826.0.1.3680043.9.4245.311', seriesDescription: null },
    acquisition: {
      manufacturer: 'GE MEDICAL SYSTEMS', model: 'HiSpeed Dual', kvp: 120, exposure_mAs: null, convolutionKernel: 'STD+', sliceThickness_mm: 4, sliceStep_mm: 4.0019,
      pixelSpacing_mm: [0.4882812, 0.4882812], dims: [512, 611, 135], spacing_mm: [0.4882812, 0.4882812, 1.0752857825680298], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], tiltDegrees: 18.5,
    },
    findings: [
      { code: 'THICK_SLICES', severity: 'warn', message: 'slice step 4.00 mm (median) is above 1 mm: accuracy along z ≥ 2 mm' },
      { code: 'TRUNCATED_FOV', severity: 'info', message: 'dense bone (≥ 700 HU) reaches 1318 mm² at the inferior end; 骨 reaches the edge' },
    ],
    segmentation: [record('segment', 'auto-threshold', { k: 3, formula: 'peak + k × (inflection − peak)', window_HU: [-60, 200] }, { threshold_HU: 226, histogram: { counts: Array.from({ length: 40 }, (_, i) => i * 1000) } })],
    reconstruction: Array.from({ length: 30 }, (_, i) => record('condition', `step-${i}`, { iterations: i, lambda: 0.5 + i / 3 }, { removedShells: i % 3, note: 'x'.repeat(i * 10) })),
    models: [{
      name: 'skull', threshold: [226, 3071], checks: { closed: true, manifold: true, shells: 10, volume_mm3: 529223.744 },
      accuracy: { mean_mm: 0.1104, p95_mm: 0.3169, max_mm: 0.6928 },
      outputs: [{ file: 'skull.stl', format: 'stl', bytes: 78664484, sha256: SHA }],
    }],
    stages: [{ stage: 'import', method: 'dicom', wall_ms: 1234.5, peakRss_bytes: null }],
    records: [],
  });
}

// Node decodes 'windows-1252' as Latin-1; the few WinAnsi codes these strings use, by hand.
const WIN_ANSI_HIGH: Record<number, string> = { 0x80: '€', 0x96: '–', 0x97: '—' };
const winAnsi = { decode: (b: Uint8Array) => Array.from(b, (c) => WIN_ANSI_HIGH[c] ?? String.fromCharCode(c)).join('') };

/** The text drawn on every page (pdf-lib writes Helvetica text as hex strings in the content streams). */
async function pageTexts(bytes: Uint8Array): Promise<string[]> {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  return doc.getPages().map((p) => {
    const contents = p.node.Contents();
    const streams = contents instanceof PDFArray ? contents.asArray().map((r) => doc.context.lookup(r)) : [contents];
    let text = '';
    for (const s of streams) {
      if (!(s instanceof PDFRawStream)) continue;
      const ops = new TextDecoder('latin1').decode(decodePDFRawStream(s).decode());
      for (const m of ops.matchAll(/<([0-9A-Fa-f]*)> Tj/g)) text += winAnsi.decode(Buffer.from(m[1]!, 'hex')) + '\n';
    }
    return text;
  });
}

describe('report PDF', () => {
  it('renders the same bytes for the same report, with the report date as the document date', async () => {
    const r = sampleReport();
    const a = await renderReportPdf(r, { subtitle: 'case 42' });
    const b = await renderReportPdf(sampleReport(), { subtitle: 'case 42' });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(new TextDecoder().decode(a.subarray(0, 5))).toBe('%PDF-');
    const doc = await PDFDocument.load(a, { updateMetadata: false });
    expect(doc.getTitle()).toBe('Model report (ISO/IEC 3532-1)');
    expect(doc.getCreationDate()?.toISOString()).toBe('2026-11-30T12:00:00.000Z');
    expect(doc.getModificationDate()?.toISOString()).toBe('2026-11-30T12:00:00.000Z');
    const later = await renderReportPdf({ ...r, generatedAt: '2026-12-01T00:00:00.000Z' }, { subtitle: 'case 42' });
    expect(Buffer.from(later).equals(Buffer.from(a))).toBe(false);
  });

  it('shows every section, finding, stage record and checksum; spells out what Helvetica cannot draw; numbers its pages', async () => {
    const pages = await pageTexts(await renderReportPdf(sampleReport()));
    expect(pages.length).toBeGreaterThan(1); // 30 conditioning records do not fit one A4 page
    const all = pages.join('\n');
    for (const s of ['Request', 'Input', 'Acquisition', 'Findings', 'Segmentation', 'Reconstruction and conditioning', 'Models', 'Stages']) expect(all).toContain(`${s}\n`);
    expect(all).toContain('surgical planning — mandible'); // the em dash is in WinAnsi
    expect(all).toContain('accuracy along z >= 2 mm');
    expect(all).toContain('1318 mm² at the inferior end; ? reaches the edge');
    expect(all).toContain('peak + k × (inflection - peak)');
    expect(all).toContain('step-29');
    expect(all).toContain('HiSpeed Dual');
    expect(all).toContain('accuracy p95_mm');
    // the checksum is broken across lines, never cut off: its pieces add up to the whole
    const input = all.slice(all.indexOf('Input SHA-256'));
    expect(input.replace(/\n/g, '')).toContain(SHA);
    pages.forEach((t, i) => expect(t).toContain(`page ${i + 1} of ${pages.length}`));
  });

  it('attaches the files that have no DICOM class (the 3MF) as embedded files, bytes intact', async () => {
    const three = new Uint8Array(5000).map((_, i) => (i * 31) & 255);
    const bytes = await renderReportPdf(sampleReport(), { attachments: [{ name: 'skull.3mf', bytes: three, mimeType: 'model/3mf', description: '3MF model' }] });
    expect(Buffer.from(await renderReportPdf(sampleReport(), { attachments: [{ name: 'skull.3mf', bytes: three, mimeType: 'model/3mf', description: '3MF model' }] })).equals(Buffer.from(bytes))).toBe(true);
    const doc = await PDFDocument.load(bytes, { updateMetadata: false });
    const names = doc.catalog.lookup(PDFName.of('Names'), PDFDict).lookup(PDFName.of('EmbeddedFiles'), PDFDict).lookup(PDFName.of('Names'), PDFArray);
    const name = names.lookup(0) as PDFString | PDFHexString;
    expect(name.decodeText()).toBe('skull.3mf');
    const spec = names.lookup(1, PDFDict);
    const file = spec.lookup(PDFName.of('EF'), PDFDict).lookup(PDFName.of('F'));
    if (!(file instanceof PDFRawStream)) throw new Error('the embedded file is not a stream');
    expect(Buffer.from(decodePDFRawStream(file).decode()).equals(Buffer.from(three))).toBe(true);
    expect(file.dict.lookup(PDFName.of('Subtype'))?.toString()).toBe('/model#2F3mf');
    expect((await pageTexts(bytes)).join('\n')).toContain('model/3mf, 5000 bytes: 3MF model');
  });

  it('formats figures compactly and refuses a report without a valid date', async () => {
    expect(formatValue(0.123456789)).toBe('0.123457');
    expect(formatValue([1, 2, 3])).toBe('[1, 2, 3]');
    expect(formatValue(Array.from({ length: 20 }, (_, i) => i))).toContain('... (20 in all)');
    expect(formatValue({ a: null, b: true })).toBe('{a: -, b: yes}');
    expect(winAnsiText('µ→€')).toBe('µ->€');
    await expect(renderReportPdf({ ...sampleReport(), generatedAt: 'yesterday' })).rejects.toThrow(/generatedAt "yesterday"/);
  });
});

/**
 * The printable label of a model version, 50 × 25 mm: the QR of `<origin>/q/<code>` on the
 * left, the code in large type, the case's short id, the model's SHA-256 prefix and the
 * date on the right. One layout (in 1/12 mm units, 12 px per mm ≈ 305 dpi) drawn twice:
 * as SVG in millimetres and as a greyscale PNG. Both depend only on their inputs, so the
 * same version always gives the same bytes.
 */
import QRCode from 'qrcode';
import { encodeGreyPng } from '@scan2print/core';
import { GLYPH_H, GLYPH_W, glyph } from './font.js';

export interface LabelInput {
  /** What the QR holds: `<origin>/q/<code>`. */
  url: string;
  code: string;
  caseId: string;
  sha256: string;
  /** YYYY-MM-DD (the code's issue date). */
  date: string;
}

export const LABEL_MM = { width: 50, height: 25 } as const;
const PX_PER_MM = 12;
const W = LABEL_MM.width * PX_PER_MM;
const H = LABEL_MM.height * PX_PER_MM;
/** Quiet zone around the QR, in modules (ISO/IEC 18004 asks for 4). */
export const QUIET = 4;

interface TextLine {
  text: string;
  x: number;
  y: number;
  /** Pixels per font dot. */
  scale: number;
}

export interface LabelLayout {
  qr: { x: number; y: number; module: number; size: number; dark: (row: number, col: number) => boolean };
  lines: TextLine[];
}

/** The short id printed for a case: the first 8 hex digits of its UUID. */
export const caseShortId = (caseId: string) => caseId.replace(/-/g, '').slice(0, 8).toUpperCase();

export function labelLayout(l: LabelInput): LabelLayout {
  const qr = QRCode.create(l.url, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  // Whole pixels per module (a crisp PNG), the QR with its quiet zone at most 22.5 mm.
  const module = Math.max(1, Math.floor(270 / (size + 2 * QUIET)));
  const side = (size + 2 * QUIET) * module;
  const x0 = 6;
  const y0 = Math.floor((H - side) / 2);
  // QR on the left half, text on the right half (8 code characters at 6 px a dot end at 582).
  const tx = Math.max(x0 + side + 6, W / 2);
  return {
    qr: { x: x0 + QUIET * module, y: y0 + QUIET * module, module, size, dark: (r, c) => qr.modules.get(r, c) === 1 },
    lines: [
      { text: l.code, x: tx, y: 28, scale: 6 },
      { text: `CASE ${caseShortId(l.caseId)}`, x: tx, y: 104, scale: 3 },
      { text: `SHA ${l.sha256.slice(0, 12).toUpperCase()}`, x: tx, y: 148, scale: 3 },
      { text: l.date, x: tx, y: 192, scale: 3 },
      { text: 'SCAN2PRINT', x: tx, y: 250, scale: 2 },
    ],
  };
}

const mm = (px: number) => String(Math.round((px / PX_PER_MM) * 10000) / 10000);
const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function labelSvg(l: LabelInput): string {
  const { qr, lines } = labelLayout(l);
  // One path of horizontal runs, in module units, scaled to millimetres.
  let d = '';
  for (let r = 0; r < qr.size; r++) {
    for (let c = 0; c < qr.size; ) {
      if (!qr.dark(r, c)) {
        c++;
        continue;
      }
      let run = 1;
      while (c + run < qr.size && qr.dark(r, c + run)) run++;
      d += `M${c} ${r}h${run}v1h-${run}z`;
      c += run;
    }
  }
  const text = lines
    .map((t) => {
      // A monospace font whose capitals are about as tall as the PNG's 7-dot glyphs.
      const size = (GLYPH_H * t.scale) / 0.73;
      return `<text x="${mm(t.x)}" y="${mm(t.y + GLYPH_H * t.scale)}" font-size="${mm(size)}">${escapeXml(t.text)}</text>`;
    })
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${LABEL_MM.width}mm" height="${LABEL_MM.height}mm" viewBox="0 0 ${LABEL_MM.width} ${LABEL_MM.height}">` +
    `<title>scan2print model ${escapeXml(l.code)}</title>` +
    `<rect width="${LABEL_MM.width}" height="${LABEL_MM.height}" fill="#fff"/>` +
    `<path transform="translate(${mm(qr.x)} ${mm(qr.y)}) scale(${mm(qr.module)})" d="${d}" fill="#000" shape-rendering="crispEdges"/>` +
    `<g font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" fill="#000">${text}</g>` +
    `</svg>\n`
  );
}

export function labelPng(l: LabelInput): Buffer {
  const { qr, lines } = labelLayout(l);
  const px = new Uint8Array(W * H).fill(255);
  const fill = (x: number, y: number, w: number, h: number) => {
    for (let yy = y; yy < y + h; yy++) px.fill(0, yy * W + x, yy * W + x + w);
  };
  for (let r = 0; r < qr.size; r++) {
    for (let c = 0; c < qr.size; c++) if (qr.dark(r, c)) fill(qr.x + c * qr.module, qr.y + r * qr.module, qr.module, qr.module);
  }
  for (const t of lines) {
    [...t.text].forEach((ch, i) => {
      const g = glyph(ch);
      const gx = t.x + i * (GLYPH_W + 1) * t.scale;
      for (let row = 0; row < GLYPH_H; row++) {
        for (let col = 0; col < GLYPH_W; col++) {
          if ((g[row]! >> (GLYPH_W - 1 - col)) & 1) fill(gx + col * t.scale, t.y + row * t.scale, t.scale, t.scale);
        }
      }
    });
  }
  return Buffer.from(encodeGreyPng(W, H, px, { pxPerMetre: PX_PER_MM * 1000 }));
}

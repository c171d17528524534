/**
 * Number formatting for the text mesh formats (ASCII STL, OBJ, 3MF): the shortest decimal
 * that reads back as exactly the same float32, so a write → read round trip is lossless and
 * the files stay small. Deterministic (no locale, no exponent unless the value needs one).
 */
export function formatFloat32(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  if (!Number.isFinite(x)) return String(x);
  // A decimal with fewer than 6 digits that rounds to x is never closer than the nearest
  // 6-digit one, so starting at 6 digits still finds the shortest form after trimming zeros.
  for (let p = 6; p <= 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return trimZeros(s);
  }
  return trimZeros(x.toPrecision(9));
}

function trimZeros(s: string): string {
  const e = s.indexOf('e');
  if (e >= 0) return trimMantissa(s.slice(0, e)) + s.slice(e);
  return trimMantissa(s);
}

function trimMantissa(m: string): string {
  if (m.indexOf('.') < 0) return m;
  let end = m.length;
  while (m.charCodeAt(end - 1) === 48) end--; // '0'
  if (m.charCodeAt(end - 1) === 46) end--; // '.'
  return m.slice(0, end);
}

/**
 * Builds a large UTF-8 text in encoded chunks, so a multi-million-triangle ASCII file never
 * needs one JavaScript string over V8's length limit.
 */
export class TextSink {
  private readonly enc = new TextEncoder();
  private readonly chunks: Uint8Array[] = [];
  private pending: string[] = [];
  private pendingLength = 0;

  push(s: string): void {
    this.pending.push(s);
    this.pendingLength += s.length;
    if (this.pendingLength > 1 << 22) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(this.enc.encode(this.pending.join('')));
    this.pending = [];
    this.pendingLength = 0;
  }

  finish(): Uint8Array {
    this.flush();
    let n = 0;
    for (const c of this.chunks) n += c.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

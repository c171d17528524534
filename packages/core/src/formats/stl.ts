/**
 * STL, binary and ASCII. STL has no unit field, and "the model printed the wrong size" is the
 * first complaint users have, so the binary header says it: "scan2print <version> units: mm
 * LPS". Output is deterministic: the same mesh gives the same bytes. Facet normals are
 * computed from the vertices (outward for a CCW mesh). The reader welds identical vertices,
 * so a round trip gives back the shared-vertex mesh.
 */
import { inputError } from '../errors.js';
import type { Mesh } from '../geometry/types.js';
import { SCAN2PRINT_VERSION } from '../version.js';
import { mergeDuplicateVertices } from '../surface/cleanup.js';
import { compactMesh } from '../surface/mesh-utils.js';
import { formatFloat32, TextSink } from './mesh-text.js';

export function stlHeader(extra = ''): string {
  return `scan2print ${SCAN2PRINT_VERSION} units: mm LPS${extra ? ` ${extra}` : ''}`;
}

function facetNormal(p: Float32Array, a: number, b: number, c: number, out: Float32Array): void {
  const ux = p[b]! - p[a]!, uy = p[b + 1]! - p[a + 1]!, uz = p[b + 2]! - p[a + 2]!;
  const vx = p[c]! - p[a]!, vy = p[c + 1]! - p[a + 1]!, vz = p[c + 2]! - p[a + 2]!;
  const nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
  const l = Math.sqrt(nx * nx + ny * ny + nz * nz);
  out[0] = l > 0 ? nx / l : 0;
  out[1] = l > 0 ? ny / l : 0;
  out[2] = l > 0 ? nz / l : 0;
}

/** Binary STL: 80-byte header, uint32 count, 50 bytes per facet (normal, 3 vertices, attribute 0). */
export function writeStlBinary(mesh: Mesh, opts: { header?: string } = {}): Uint8Array {
  const nTri = mesh.indices.length / 3;
  const out = new Uint8Array(84 + 50 * nTri);
  const header = new TextEncoder().encode((opts.header ?? stlHeader()).slice(0, 80).padEnd(80, ' '));
  out.set(header.subarray(0, 80));
  const dv = new DataView(out.buffer);
  dv.setUint32(80, nTri, true);
  const p = mesh.positions;
  const ix = mesh.indices;
  const n = new Float32Array(3);
  let o = 84;
  for (let t = 0; t < nTri; t++) {
    const a = 3 * ix[3 * t]!, b = 3 * ix[3 * t + 1]!, c = 3 * ix[3 * t + 2]!;
    facetNormal(p, a, b, c, n);
    dv.setFloat32(o, n[0]!, true);
    dv.setFloat32(o + 4, n[1]!, true);
    dv.setFloat32(o + 8, n[2]!, true);
    o += 12;
    for (const v of [a, b, c]) {
      dv.setFloat32(o, p[v]!, true);
      dv.setFloat32(o + 4, p[v + 1]!, true);
      dv.setFloat32(o + 8, p[v + 2]!, true);
      o += 12;
    }
    o += 2; // attribute byte count 0
  }
  return out;
}

/** ASCII STL; coordinates with the fewest digits that read back as the same float32. */
export function writeStlAscii(mesh: Mesh, opts: { name?: string } = {}): Uint8Array {
  const name = (opts.name ?? 'scan2print').replace(/\s+/g, '_');
  const p = mesh.positions;
  const ix = mesh.indices;
  const n = new Float32Array(3);
  const out = new TextSink();
  out.push(`solid ${name} ${stlHeader()}\n`);
  for (let t = 0; t < ix.length / 3; t++) {
    const a = 3 * ix[3 * t]!, b = 3 * ix[3 * t + 1]!, c = 3 * ix[3 * t + 2]!;
    facetNormal(p, a, b, c, n);
    let s = `facet normal ${formatFloat32(n[0]!)} ${formatFloat32(n[1]!)} ${formatFloat32(n[2]!)}\n outer loop\n`;
    for (const v of [a, b, c]) s += `  vertex ${formatFloat32(p[v]!)} ${formatFloat32(p[v + 1]!)} ${formatFloat32(p[v + 2]!)}\n`;
    out.push(`${s} endloop\nendfacet\n`);
  }
  out.push(`endsolid ${name}\n`);
  return out.finish();
}

/** ASCII STL starts with "solid"; a binary STL whose header happens to start so is told apart by its size. */
export function isAsciiStl(bytes: Uint8Array): boolean {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 256)));
  if (!/^\s*solid/i.test(head)) return false;
  if (bytes.length >= 84) {
    const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(80, true);
    if (84 + 50 * n === bytes.length) return false;
  }
  return true;
}

/** Reads binary or ASCII STL into a welded mesh (identical vertices merged). */
export function readStl(bytes: Uint8Array, file: string): Mesh {
  const soup = isAsciiStl(bytes) ? readStlAsciiSoup(bytes, file) : readStlBinarySoup(bytes, file);
  return compactMesh(mergeDuplicateVertices(soup).mesh);
}

function readStlBinarySoup(bytes: Uint8Array, file: string): Mesh {
  if (bytes.length < 84) throw inputError('STL_TRUNCATED', `binary STL is ${bytes.length} bytes, shorter than its 84-byte header`, file);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(80, true);
  if (84 + 50 * n > bytes.length) throw inputError('STL_TRUNCATED', `binary STL declares ${n} facets (${84 + 50 * n} bytes) but has ${bytes.length} bytes`, file);
  const positions = new Float32Array(9 * n);
  for (let t = 0; t < n; t++) {
    const o = 84 + 50 * t + 12;
    for (let k = 0; k < 9; k++) {
      const x = dv.getFloat32(o + 4 * k, true);
      // A NaN or infinite corner has no place in space: every later step (bounds, rays, cuts) would be undefined for it.
      if (!Number.isFinite(x)) throw inputError('STL_BAD_NUMBER', `binary STL facet ${t + 1} has a vertex coordinate ${x} that is not a finite number`, file);
      positions[9 * t + k] = x;
    }
  }
  const indices = new Uint32Array(3 * n);
  for (let i = 0; i < indices.length; i++) indices[i] = i;
  return { positions, indices };
}

function readStlAsciiSoup(bytes: Uint8Array, file: string): Mesh {
  const text = new TextDecoder('latin1').decode(bytes);
  const re = /vertex\s+(\S+)\s+(\S+)\s+(\S+)/g;
  const coords: number[] = [];
  // The line a match is on, counted as the scan goes (only for messages).
  let line = 1;
  let counted = 0;
  const lineOf = (at: number): number => {
    for (; counted < at; counted++) if (text.charCodeAt(counted) === 10) line++;
    return line;
  };
  for (let m = re.exec(text); m; m = re.exec(text)) {
    for (let k = 1; k <= 3; k++) {
      const x = Number(m[k]);
      if (!Number.isFinite(x)) throw inputError('STL_BAD_NUMBER', `ASCII STL line ${lineOf(m.index)}: vertex coordinate "${m[k]}" is not a number`, file);
      // Positions are float32, as binary STL's: 1e39 would become Infinity, a corner with no place in space.
      if (!Number.isFinite(Math.fround(x))) {
        throw inputError('STL_BAD_NUMBER', `ASCII STL line ${lineOf(m.index)}: vertex coordinate ${m[k]} is beyond single precision (±3.4e38): not a finite number as stored`, file);
      }
      coords.push(x);
    }
  }
  if (coords.length % 9 !== 0) throw inputError('STL_BAD_FACET', `ASCII STL has ${coords.length / 3} vertices, not a multiple of 3 (a facet is incomplete)`, file);
  const positions = Float32Array.from(coords);
  const indices = new Uint32Array(coords.length / 3);
  for (let i = 0; i < indices.length; i++) indices[i] = i;
  return { positions, indices };
}

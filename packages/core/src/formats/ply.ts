/**
 * PLY, binary little-endian: float x y z per vertex, a uchar-counted uint list per face. A
 * header comment states the units (mm) and frame (LPS). The reader takes our own files and the
 * common variants (ASCII, float/double coordinates, int/uint indices).
 */
import { inputError } from '../errors.js';
import type { Mesh } from '../geometry/types.js';
import { SCAN2PRINT_VERSION } from '../version.js';

export function writePly(mesh: Mesh): Uint8Array {
  const nv = mesh.positions.length / 3;
  const nTri = mesh.indices.length / 3;
  const header =
    'ply\nformat binary_little_endian 1.0\n' +
    `comment scan2print ${SCAN2PRINT_VERSION}\ncomment units: mm, DICOM patient coordinates (LPS)\n` +
    `element vertex ${nv}\nproperty float x\nproperty float y\nproperty float z\n` +
    `element face ${nTri}\nproperty list uchar uint vertex_indices\nend_header\n`;
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(h.length + 12 * nv + 13 * nTri);
  out.set(h);
  const dv = new DataView(out.buffer);
  let o = h.length;
  for (let i = 0; i < 3 * nv; i++, o += 4) dv.setFloat32(o, mesh.positions[i]!, true);
  for (let t = 0; t < nTri; t++) {
    out[o++] = 3;
    for (let c = 0; c < 3; c++, o += 4) dv.setUint32(o, mesh.indices[3 * t + c]!, true);
  }
  return out;
}

interface PlyProperty {
  name: string;
  type: string;
  list?: { countType: string; itemType: string };
}

const SIZES: Record<string, number> = { char: 1, int8: 1, uchar: 1, uint8: 1, short: 2, int16: 2, ushort: 2, uint16: 2, int: 4, int32: 4, uint: 4, uint32: 4, float: 4, float32: 4, double: 8, float64: 8 };

export function readPly(bytes: Uint8Array, file: string): Mesh {
  const headText = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 4096)));
  const end = headText.indexOf('end_header');
  if (!headText.startsWith('ply') || end < 0) throw inputError('PLY_BAD_HEADER', 'not a PLY file (no "ply" magic or no end_header)', file);
  const lines = headText.slice(0, end).split(/\r?\n/);
  const bodyStart = end + 'end_header'.length + (headText[end + 10] === '\r' ? 2 : 1);
  let format = '';
  const elements: { name: string; count: number; props: PlyProperty[] }[] = [];
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'format') format = f[1]!;
    else if (f[0] === 'element') elements.push({ name: f[1]!, count: parseInt(f[2]!, 10), props: [] });
    else if (f[0] === 'property') {
      const el = elements[elements.length - 1];
      if (!el) throw inputError('PLY_BAD_HEADER', 'property before any element', file);
      if (f[1] === 'list') el.props.push({ name: f[4]!, type: 'list', list: { countType: f[2]!, itemType: f[3]! } });
      else el.props.push({ name: f[2]!, type: f[1]! });
    }
  }
  if (format !== 'binary_little_endian' && format !== 'ascii') throw inputError('PLY_FORMAT', `PLY format "${format}" is not supported (binary_little_endian or ascii)`, file);
  const fast = fastBinary(bytes, bodyStart, format, elements);
  if (fast) return finiteVertices(fast, file);
  const positions: number[] = [];
  const indices: number[] = [];
  if (format === 'ascii') {
    const tokens = new TextDecoder('latin1').decode(bytes.subarray(bodyStart)).trim().split(/\s+/);
    let k = 0;
    for (const el of elements) {
      for (let i = 0; i < el.count; i++) {
        const xyz = [0, 0, 0];
        for (const pr of el.props) {
          if (pr.list) {
            const n = Number(tokens[k++]);
            const refs = tokens.slice(k, k + n).map(Number);
            k += n;
            if (el.name === 'face') for (let j = 1; j + 1 < n; j++) indices.push(refs[0]!, refs[j]!, refs[j + 1]!);
          } else {
            const x = Number(tokens[k++]);
            const a = ['x', 'y', 'z'].indexOf(pr.name);
            if (a >= 0) xyz[a] = x;
          }
        }
        if (el.name === 'vertex') positions.push(...xyz);
      }
    }
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let o = bodyStart;
    const read = (type: string): number => {
      const size = SIZES[type];
      if (!size) throw inputError('PLY_TYPE', `PLY property type "${type}" is not supported`, file);
      if (o + size > bytes.length) throw inputError('PLY_TRUNCATED', `PLY data ends at byte ${bytes.length}, before the declared elements`, file);
      let v: number;
      switch (type) {
        case 'char': case 'int8': v = dv.getInt8(o); break;
        case 'uchar': case 'uint8': v = dv.getUint8(o); break;
        case 'short': case 'int16': v = dv.getInt16(o, true); break;
        case 'ushort': case 'uint16': v = dv.getUint16(o, true); break;
        case 'int': case 'int32': v = dv.getInt32(o, true); break;
        case 'uint': case 'uint32': v = dv.getUint32(o, true); break;
        case 'float': case 'float32': v = dv.getFloat32(o, true); break;
        default: v = dv.getFloat64(o, true);
      }
      o += size;
      return v;
    };
    for (const el of elements) {
      for (let i = 0; i < el.count; i++) {
        const xyz = [0, 0, 0];
        for (const pr of el.props) {
          if (pr.list) {
            const n = read(pr.list.countType);
            const refs: number[] = [];
            for (let j = 0; j < n; j++) refs.push(read(pr.list.itemType));
            if (el.name === 'face') for (let j = 1; j + 1 < n; j++) indices.push(refs[0]!, refs[j]!, refs[j + 1]!);
          } else {
            const x = read(pr.type);
            const a = ['x', 'y', 'z'].indexOf(pr.name);
            if (a >= 0) xyz[a] = x;
          }
        }
        if (el.name === 'vertex') positions.push(...xyz);
      }
    }
  }
  const nv = positions.length / 3;
  for (const i of indices) if (!(i >= 0 && i < nv)) throw inputError('PLY_BAD_FACE', `a face refers to vertex ${i}, but there are ${nv} vertices`, file);
  return finiteVertices({ positions: Float32Array.from(positions), indices: Uint32Array.from(indices) }, file);
}

/** Refuses a NaN or infinite coordinate (also a double too large for float32), as the other readers do: no later step is defined for it. */
function finiteVertices(mesh: Mesh, file: string): Mesh {
  const p = mesh.positions;
  for (let i = 0; i < p.length; i++) {
    if (!Number.isFinite(p[i]!)) throw inputError('PLY_BAD_VERTEX', `vertex ${Math.floor(i / 3)} has a coordinate ${p[i]} that is not a finite number`, file);
  }
  return mesh;
}

/** Our own layout (float x y z; uchar-counted int/uint triangles) read without per-value dispatch. */
function fastBinary(bytes: Uint8Array, o: number, format: string, elements: { name: string; count: number; props: PlyProperty[] }[]): Mesh | undefined {
  if (format !== 'binary_little_endian' || elements.length !== 2) return undefined;
  const [ve, fe] = elements;
  if (ve!.name !== 'vertex' || fe!.name !== 'face') return undefined;
  if (ve!.props.map((p) => `${p.type} ${p.name}`).join(',') !== 'float x,float y,float z') return undefined;
  const fl = fe!.props[0]?.list;
  if (fe!.props.length !== 1 || !fl || !/^(uchar|uint8)$/.test(fl.countType) || !/^(u?int|u?int32)$/.test(fl.itemType)) return undefined;
  const nv = ve!.count;
  const nf = fe!.count;
  if (o + 12 * nv + 13 * nf > bytes.length) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const positions = new Float32Array(3 * nv);
  for (let i = 0; i < 3 * nv; i++, o += 4) positions[i] = dv.getFloat32(o, true);
  const indices = new Uint32Array(3 * nf);
  for (let t = 0; t < nf; t++) {
    if (bytes[o] !== 3) return undefined;
    o++;
    for (let c = 0; c < 3; c++, o += 4) {
      const v = dv.getUint32(o, true);
      if (v >= nv) return undefined;
      indices[3 * t + c] = v;
    }
  }
  return { positions, indices };
}

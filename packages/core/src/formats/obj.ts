/**
 * Wavefront OBJ: `v x y z` and `f a b c` (1-based), one `o` per group (shell or label) when the
 * mesh has groups. OBJ has no unit field: a comment line states millimetres and the LPS frame.
 */
import { inputError } from '../errors.js';
import type { Mesh } from '../geometry/types.js';
import { SCAN2PRINT_VERSION } from '../version.js';
import { formatFloat32, TextSink } from './mesh-text.js';

export interface ObjOptions {
  /** Object name, or names per group id. */
  name?: string;
  groupNames?: Record<number, string>;
}

export function writeObj(mesh: Mesh, opts: ObjOptions = {}): Uint8Array {
  const out = new TextSink();
  out.push(`# scan2print ${SCAN2PRINT_VERSION}\n# units: mm, DICOM patient coordinates (LPS)\n`);
  const p = mesh.positions;
  for (let v = 0; v < p.length / 3; v++) out.push(`v ${formatFloat32(p[3 * v]!)} ${formatFloat32(p[3 * v + 1]!)} ${formatFloat32(p[3 * v + 2]!)}\n`);
  const ix = mesh.indices;
  const nTri = ix.length / 3;
  let current = -1;
  if (!mesh.groups) out.push(`o ${safeName(opts.name ?? 'scan2print')}\n`);
  for (let t = 0; t < nTri; t++) {
    if (mesh.groups && mesh.groups[t] !== current) {
      current = mesh.groups[t]!;
      out.push(`o ${safeName(opts.groupNames?.[current] ?? `${opts.name ?? 'part'}_${current}`)}\n`);
    }
    out.push(`f ${ix[3 * t]! + 1} ${ix[3 * t + 1]! + 1} ${ix[3 * t + 2]! + 1}\n`);
  }
  return out.finish();
}

function safeName(s: string): string {
  return s.replace(/\s+/g, '_');
}

/** Reads OBJ vertices and faces (polygons fan-triangulated; `v/vt/vn` references accepted). */
export function readObj(bytes: Uint8Array, file: string): Mesh {
  const text = new TextDecoder().decode(bytes);
  const pos: number[] = [];
  const idx: number[] = [];
  const groups: number[] = [];
  let group = -1;
  let sawObject = false;
  let lineNo = 0;
  for (const raw of text.split('\n')) {
    lineNo++;
    const line = raw.trim();
    if (line.startsWith('v ')) {
      const f = line.split(/\s+/);
      for (let k = 1; k <= 3; k++) {
        const x = Number(f[k]);
        if (!Number.isFinite(x)) throw inputError('OBJ_BAD_VERTEX', `line ${lineNo}: vertex "${line}" has a coordinate that is not a number`, file);
        // Positions are float32: 1e39 would become Infinity there, a corner with no place in space.
        if (!Number.isFinite(Math.fround(x))) {
          throw inputError('OBJ_BAD_VERTEX', `line ${lineNo}: vertex coordinate ${f[k]} is beyond single precision (±3.4e38): not a finite number as stored`, file);
        }
        pos.push(x);
      }
    } else if (line.startsWith('o ') || line.startsWith('g ')) {
      group++;
      sawObject = true;
    } else if (line.startsWith('f ')) {
      const nv = pos.length / 3;
      const refs = line.split(/\s+/).slice(1).map((r) => {
        const i = parseInt(r.split('/')[0]!, 10);
        const v = i < 0 ? nv + i : i - 1;
        if (!Number.isInteger(v) || v < 0 || v >= nv) throw inputError('OBJ_BAD_FACE', `line ${lineNo}: face "${line}" refers to a vertex that does not exist`, file);
        return v;
      });
      for (let k = 1; k + 1 < refs.length; k++) {
        idx.push(refs[0]!, refs[k]!, refs[k + 1]!);
        groups.push(Math.max(group, 0));
      }
    }
  }
  const mesh: Mesh = { positions: Float32Array.from(pos), indices: Uint32Array.from(idx) };
  if (sawObject && group > 0) mesh.groups = Uint32Array.from(groups);
  return mesh;
}

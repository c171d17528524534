/**
 * Reading 3MF files back (our own and plain core-spec files from other tools): the mesh
 * objects in millimetres (any 3MF unit), their names, display colours, metadata and build
 * items. Plain regular expressions over the model XML: the files we read are our own output or
 * a slicer's, and a mis-formed one is refused naming the file and the problem.
 */
import { unzipSync } from 'fflate';
import { inputError } from '../errors.js';
import type { Mesh } from '../geometry/types.js';

/** Where the model part lies in our files, and where a reader looks when the relationships don't say. */
export const MODEL_PATH = '3D/3dmodel.model';

function unescapeXml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

const UNIT_MM: Record<string, number> = { micron: 0.001, millimeter: 1, centimeter: 10, inch: 25.4, foot: 304.8, meter: 1000 };

export interface ThreeMfContent {
  mesh: Mesh;
  unit: string;
  metadata: Record<string, string>;
  objects: { id: number; name: string | undefined; color: string | undefined; triangles: number }[];
  /** Build items in file order with their transform (12 numbers, core order, translation in mm) or null; the mesh above is NOT moved by them. */
  items: { objectId: number; transform: number[] | null }[];
  /**
   * The mesh as the build places it: each object moved by its build item's transform, which is
   * what a slicer prints (prepare's parts: on the bed). The same object as `mesh` when no item
   * moves anything. Only rotations and translations are read: a scaling or mirroring item is
   * refused, since such a model is no longer 1:1 patient anatomy.
   */
  placed: Mesh;
}

/** Off-orthonormality allowed in a build item's rotation: slicers write 6 decimals (~1e-6). */
const RIGID_TOLERANCE = 1e-4;

/**
 * Refuses a build item's transform that is not a proper rigid motion (scale, shear or mirror):
 * a surgeon plans on the printed model, and a silently resized or mirrored one is wrong anatomy.
 */
function checkRigid(m: readonly number[], item: number, objectId: string, file: string): void {
  // Row-vector convention (x' = x·m0 + y·m3 + z·m6 + m9 …): rows are the images of the axes.
  const row = (i: number): number[] => [m[3 * i]!, m[3 * i + 1]!, m[3 * i + 2]!];
  const r = [row(0), row(1), row(2)];
  const dot = (a: number[], b: number[]): number => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
  const det = dot(r[0]!, [r[1]![1]! * r[2]![2]! - r[1]![2]! * r[2]![1]!, r[1]![2]! * r[2]![0]! - r[1]![0]! * r[2]![2]!, r[1]![0]! * r[2]![1]! - r[1]![1]! * r[2]![0]!]);
  const where = `build item ${item} (object ${objectId})`;
  const fmt = (x: number): string => String(Math.round(x * 1e4) / 1e4);
  if (det < 0) throw inputError('3MF_TRANSFORM_NOT_RIGID', `${where}: its transform mirrors the model (determinant ${fmt(det)}); a mirrored model is not the patient's anatomy, so it is refused`, file);
  const scales = r.map((v) => Math.sqrt(dot(v, v)));
  if (scales.some((x) => Math.abs(x - 1) > RIGID_TOLERANCE)) {
    throw inputError('3MF_TRANSFORM_NOT_RIGID', `${where}: its transform scales the model by ${scales.map(fmt).join(' × ')}; models are 1:1 patient anatomy in mm, so a scaled one is refused (export it unscaled)`, file);
  }
  if ([dot(r[0]!, r[1]!), dot(r[0]!, r[2]!), dot(r[1]!, r[2]!)].some((x) => Math.abs(x) > RIGID_TOLERANCE)) {
    throw inputError('3MF_TRANSFORM_NOT_RIGID', `${where}: its transform shears the model (not a rotation); models are 1:1 patient anatomy, so it is refused`, file);
  }
}

/** Reads the mesh objects of a 3MF (ours and plain core-spec files), converted to millimetres. */
export function read3mfContent(bytes: Uint8Array, file: string): ThreeMfContent {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw inputError('3MF_BAD_ZIP', `not a readable 3MF (zip) file: ${(e as Error).message}`, file, e);
  }
  const rels = entries['_rels/.rels'] ? new TextDecoder().decode(entries['_rels/.rels']) : '';
  const target = /Target="\/?([^"]+)"[^>]*3dmodel"/.exec(rels)?.[1] ?? MODEL_PATH;
  const modelBytes = entries[target] ?? entries[MODEL_PATH];
  if (!modelBytes) throw inputError('3MF_NO_MODEL', `3MF has no model part (${target})`, file);
  const xml = new TextDecoder().decode(modelBytes);
  const unit = /<model[^>]*\sunit="([^"]+)"/.exec(xml)?.[1] ?? 'millimeter';
  const scale = UNIT_MM[unit];
  if (scale === undefined) throw inputError('3MF_UNIT', `3MF unit "${unit}" is unknown`, file);
  const metadata: Record<string, string> = {};
  for (const m of xml.matchAll(/<metadata\s+name="([^"]+)"[^>]*>([^<]*)<\/metadata>/g)) metadata[m[1]!] = unescapeXml(m[2]!);
  const colors: Record<string, string[]> = {};
  for (const m of xml.matchAll(/<basematerials\s+id="(\d+)"[^>]*>([\s\S]*?)<\/basematerials>/g)) {
    colors[m[1]!] = [...m[2]!.matchAll(/displaycolor="([^"]+)"/g)].map((c) => c[1]!);
  }
  const pos: number[] = [];
  const idx: number[] = [];
  const groups: number[] = [];
  const objects: ThreeMfContent['objects'] = [];
  // Each mesh object's vertex range in `pos`, by object id, for placing it by its build item.
  const vertexRange = new Map<number, { base: number; count: number }>();
  for (const m of xml.matchAll(/<object\s([^>]*)>([\s\S]*?)<\/object>/g)) {
    const attrs = m[1]!;
    const body = m[2]!;
    if (!body.includes('<mesh')) continue;
    const attr = (n: string): string | undefined => new RegExp(`\\b${n}="([^"]*)"`).exec(attrs)?.[1];
    const base = pos.length / 3;
    let nv = 0;
    for (const v of body.matchAll(/<vertex\s+x="([^"]+)"\s+y="([^"]+)"\s+z="([^"]+)"/g)) {
      pos.push(Number(v[1]) * scale, Number(v[2]) * scale, Number(v[3]) * scale);
      nv++;
    }
    let nt = 0;
    for (const t of body.matchAll(/<triangle\s+v1="(\d+)"\s+v2="(\d+)"\s+v3="(\d+)"/g)) {
      const a = Number(t[1]), b = Number(t[2]), c = Number(t[3]);
      if (a >= nv || b >= nv || c >= nv) throw inputError('3MF_BAD_TRIANGLE', `object ${attr('id')}: a triangle refers to a vertex that does not exist`, file);
      idx.push(base + a, base + b, base + c);
      groups.push(objects.length);
      nt++;
    }
    const pid = attr('pid');
    const pindex = Number(attr('pindex') ?? 0);
    vertexRange.set(Number(attr('id')), { base, count: nv });
    objects.push({ id: Number(attr('id')), name: attr('name') !== undefined ? unescapeXml(attr('name')!) : undefined, color: pid ? colors[pid]?.[pindex] : undefined, triangles: nt });
  }
  if (pos.some((v) => !Number.isFinite(v))) throw inputError('3MF_BAD_VERTEX', 'a vertex coordinate is not a number', file);
  const mesh: Mesh = { positions: Float32Array.from(pos), indices: Uint32Array.from(idx) };
  if (objects.length > 1) mesh.groups = Uint32Array.from(groups);
  const items: ThreeMfContent['items'] = [];
  for (const m of xml.matchAll(/<item\s([^>]*?)\/?>/g)) {
    const id = /\bobjectid="(\d+)"/.exec(m[1]!)?.[1];
    if (id === undefined) continue;
    const tr = /\btransform="([^"]*)"/.exec(m[1]!)?.[1];
    const nums = tr !== undefined ? tr.trim().split(/\s+/).map(Number) : null;
    if (nums && (nums.length !== 12 || nums.some((v) => !Number.isFinite(v)))) throw inputError('3MF_BAD_TRANSFORM', `build item of object ${id}: transform "${tr}" is not 12 numbers`, file);
    if (nums) checkRigid(nums, items.length + 1, id, file);
    items.push({ objectId: Number(id), transform: nums ? nums.map((v, i) => (i >= 9 ? v * scale : v)) : null });
  }
  return { mesh, unit, metadata, objects, items, placed: placeItems(mesh, items, vertexRange, file) };
}

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0];

/**
 * `mesh` with each object moved by its build item (rigid, checked above); `mesh` itself when
 * none moves. An object placed by several items with different transforms is several printed
 * copies, which one mesh per object cannot say: refused rather than silently one copy.
 */
function placeItems(mesh: Mesh, items: ThreeMfContent['items'], vertexRange: Map<number, { base: number; count: number }>, file: string): Mesh {
  const placement = new Map<number, number[]>();
  for (const it of items) {
    const t = it.transform ?? IDENTITY;
    const seen = placement.get(it.objectId);
    if (seen && seen.some((x, i) => x !== t[i])) throw inputError('3MF_INSTANCES', `object ${it.objectId} is placed by several build items at different places (copies); one placement per object is read, so it is refused`, file);
    placement.set(it.objectId, t);
  }
  const moving = [...placement].filter(([id, t]) => vertexRange.has(id) && t.some((x, i) => x !== IDENTITY[i]));
  if (!moving.length) return mesh;
  const p = mesh.positions;
  const out = p.slice();
  for (const [id, m] of moving) {
    const { base, count } = vertexRange.get(id)!;
    for (let v = 3 * base; v < 3 * (base + count); v += 3) {
      const x = p[v]!, y = p[v + 1]!, z = p[v + 2]!;
      for (let j = 0; j < 3; j++) out[v + j] = x * m[j]! + y * m[3 + j]! + z * m[6 + j]! + m[9 + j]!;
    }
  }
  return { ...mesh, positions: out };
}

/** The mesh of a 3MF (all objects; `groups` = object order when there are several). */
export function read3mf(bytes: Uint8Array, file: string): Mesh {
  return read3mfContent(bytes, file).mesh;
}

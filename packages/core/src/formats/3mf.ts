/**
 * 3MF (3D Manufacturing Format, core specification 2015/02): an OPC zip holding an XML model
 * with an explicit unit (millimetre, so the size is never in doubt), metadata (Title,
 * Application, CreationDate), one named object per label or shell, optional display colours
 * (core <basematerials>) and one build item per object. Coordinates are written as the shortest
 * decimals that read back as the same float32. The zip is made with fflate at a fixed level and
 * a fixed timestamp, so the same mesh and options give byte-identical files.
 */
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { inputError } from '../errors.js';
import type { Mesh } from '../geometry/types.js';
import { labelShells } from '../surface/mesh-utils.js';
import { SCAN2PRINT_VERSION } from '../version.js';
import { formatFloat32, TextSink } from './mesh-text.js';

const CORE_NS = 'http://schemas.microsoft.com/3dmanufacturing/core/2015/02';
const MODEL_PATH = '3D/3dmodel.model';

export interface ThreeMfPart {
  name?: string;
  /** Display colour "#RRGGBB" or "#RRGGBBAA". */
  color?: string;
}

export interface ThreeMfOptions {
  title?: string;
  /** ISO 8601 date (YYYY-MM-DD or full timestamp), supplied by the caller so output is deterministic. */
  creationDate?: string;
  /** One object per group (label) or per shell; default: groups when the mesh has them, else shells. */
  split?: 'groups' | 'shells' | 'none';
  /** Names and colours per group id, or per shell index when split by shells. */
  parts?: Record<number, ThreeMfPart>;
  /** Colour for objects without their own. */
  color?: string;
}

const ZIP_TIME = new Date(1980, 0, 1, 0, 0, 0); // local-time components, so the DOS timestamp is fixed in any time zone

export function write3mf(mesh: Mesh, opts: ThreeMfOptions = {}): Uint8Array {
  const title = opts.title ?? 'scan2print model';
  const split = opts.split ?? (mesh.groups ? 'groups' : 'shells');
  const partOf = split === 'groups' && mesh.groups ? mesh.groups : split === 'shells' ? labelShells(mesh).shellOf : new Uint32Array(mesh.indices.length / 3);
  const ids = [...new Set(partOf)].sort((a, b) => a - b);
  const colors: string[] = [];
  const colorIndex = new Map<string, number>();
  const partColor = (id: number): number | undefined => {
    const c = opts.parts?.[id]?.color ?? opts.color;
    if (!c) return undefined;
    const norm = normaliseColor(c);
    if (!colorIndex.has(norm)) {
      colorIndex.set(norm, colors.length);
      colors.push(norm);
    }
    return colorIndex.get(norm)!;
  };
  const x = new TextSink();
  x.push(`<?xml version="1.0" encoding="UTF-8"?>\n<model unit="millimeter" xml:lang="en-US" xmlns="${CORE_NS}">\n`);
  x.push(` <metadata name="Title">${escapeXml(title)}</metadata>\n`);
  x.push(` <metadata name="Application">scan2print ${SCAN2PRINT_VERSION}</metadata>\n`);
  if (opts.creationDate) x.push(` <metadata name="CreationDate">${escapeXml(opts.creationDate)}</metadata>\n`);
  x.push(` <metadata name="Description">units: mm, DICOM patient coordinates (LPS)</metadata>\n <resources>\n`);
  const colorOfPart = ids.map((id) => partColor(id));
  const materialsId = 1;
  if (colors.length) {
    x.push(`  <basematerials id="${materialsId}">\n`);
    colors.forEach((c, i) => x.push(`   <base name="colour ${i + 1}" displaycolor="${c}"/>\n`));
    x.push('  </basematerials>\n');
  }
  // Triangles grouped by part (counting sort keeps their order inside each part).
  const rank = new Map<number, number>(ids.map((id, k) => [id, k]));
  const start = new Uint32Array(ids.length + 1);
  for (let t = 0; t < partOf.length; t++) start[rank.get(partOf[t]!)! + 1]!++;
  for (let k = 0; k < ids.length; k++) start[k + 1]! += start[k]!;
  const fill = start.slice(0, ids.length);
  const tris = new Uint32Array(partOf.length);
  for (let t = 0; t < partOf.length; t++) tris[fill[rank.get(partOf[t]!)!]!++] = t;
  const local = new Int32Array(mesh.positions.length / 3).fill(-1);
  const objectIds: number[] = [];
  const p = mesh.positions;
  const ix = mesh.indices;
  ids.forEach((id, k) => {
    const objectId = materialsId + 1 + k;
    objectIds.push(objectId);
    const name = opts.parts?.[id]?.name ?? (ids.length === 1 ? title : `${title} ${split === 'groups' ? 'label' : 'shell'} ${id}`);
    const c = colorOfPart[k];
    x.push(`  <object id="${objectId}" type="model" name="${escapeXml(name)}"${c !== undefined ? ` pid="${materialsId}" pindex="${c}"` : ''}>\n   <mesh>\n    <vertices>\n`);
    const used: number[] = [];
    for (let i = start[k]!; i < start[k + 1]!; i++) {
      for (let cc = 0; cc < 3; cc++) {
        const v = ix[3 * tris[i]! + cc]!;
        if (local[v] !== -1) continue;
        local[v] = used.length;
        used.push(v);
        x.push(`     <vertex x="${formatFloat32(p[3 * v]!)}" y="${formatFloat32(p[3 * v + 1]!)}" z="${formatFloat32(p[3 * v + 2]!)}"/>\n`);
      }
    }
    x.push('    </vertices>\n    <triangles>\n');
    for (let i = start[k]!; i < start[k + 1]!; i++) {
      const t = tris[i]!;
      x.push(`     <triangle v1="${local[ix[3 * t]!]}" v2="${local[ix[3 * t + 1]!]}" v3="${local[ix[3 * t + 2]!]}"/>\n`);
    }
    x.push('    </triangles>\n   </mesh>\n  </object>\n');
    for (const v of used) local[v] = -1;
  });
  x.push(' </resources>\n <build>\n');
  for (const id of objectIds) x.push(`  <item objectid="${id}"/>\n`);
  x.push(' </build>\n</model>\n');

  const enc = new TextEncoder();
  const files: Zippable = {
    '[Content_Types].xml': enc.encode(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\n' +
        ' <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\n' +
        ' <Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>\n</Types>\n',
    ),
    '_rels/.rels': enc.encode(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\n' +
        ` <Relationship Target="/${MODEL_PATH}" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>\n</Relationships>\n`,
    ),
    [MODEL_PATH]: x.finish(),
  };
  return zipSync(files, { level: 6, mtime: ZIP_TIME });
}

function normaliseColor(c: string): string {
  const m = /^#?([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(c.trim());
  if (!m) throw new RangeError(`colour "${c}" is not #RRGGBB or #RRGGBBAA`);
  return `#${m[1]!.toUpperCase()}${(m[2] ?? 'FF').toUpperCase()}`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function unescapeXml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

const UNIT_MM: Record<string, number> = { micron: 0.001, millimeter: 1, centimeter: 10, inch: 25.4, foot: 304.8, meter: 1000 };

export interface ThreeMfContent {
  mesh: Mesh;
  unit: string;
  metadata: Record<string, string>;
  objects: { id: number; name: string | undefined; color: string | undefined; triangles: number }[];
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
    objects.push({ id: Number(attr('id')), name: attr('name') !== undefined ? unescapeXml(attr('name')!) : undefined, color: pid ? colors[pid]?.[pindex] : undefined, triangles: nt });
  }
  if (pos.some((v) => !Number.isFinite(v))) throw inputError('3MF_BAD_VERTEX', 'a vertex coordinate is not a number', file);
  const mesh: Mesh = { positions: Float32Array.from(pos), indices: Uint32Array.from(idx) };
  if (objects.length > 1) mesh.groups = Uint32Array.from(groups);
  return { mesh, unit, metadata, objects };
}

/** The mesh of a 3MF (all objects; `groups` = object order when there are several). */
export function read3mf(bytes: Uint8Array, file: string): Mesh {
  return read3mfContent(bytes, file).mesh;
}

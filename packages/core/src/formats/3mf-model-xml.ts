/**
 * The 3MF model part (3D/3dmodel.model) as XML bytes, for 3mf.ts to deflate and package: the
 * millimetre unit, metadata, colours, one object per part (group or shell) and the build items.
 * Formatted straight into fixed-size byte chunks (ascii-bytes.ts): no strings per number.
 */
import type { Mesh } from '../geometry/types.js';
import { labelShellsByVertex } from '../surface/mesh-utils.js';
import { SCAN2PRINT_VERSION } from '../version.js';
import { AsciiWriter, linePieces } from './ascii-bytes.js';
import type { ThreeMfOptions } from './3mf.js';

const CORE_NS = 'http://schemas.microsoft.com/3dmanufacturing/core/2015/02';

/** Uncompressed bytes per independently deflated chunk of the model XML (fixed, so the bytes never depend on the pool). */
export const THREEMF_CHUNK_BYTES = 1 << 20;

function formatTransform(m: readonly number[], object: number): string {
  if (m.length !== 12 || !m.every((x) => Number.isFinite(x))) throw new RangeError(`3MF build transform of object ${object}: expected 12 finite numbers, got ${m.length}`);
  // Rounded so float noise from composing rotations never reaches the file; no "-0".
  return m.map((x) => String(Math.round(x * 1e6) / 1e6 || 0)).join(' ');
}

const VERTEX = linePieces(['<vertex x="', '" y="', '" z="', '"/>\n']);
const TRIANGLE = linePieces(['<triangle v1="', '" v2="', '" v3="', '"/>\n']);

/**
 * The model XML in chunks of about THREEMF_CHUNK_BYTES, formatted straight into bytes: one
 * object per part (group or shell), vertices in order of first use by the part's triangles.
 * A chunk is the caller's; the caller may give a chunk it is done with back through `spare`
 * (the next chunks are then formatted into its buffer).
 */
export function* modelXmlChunks(mesh: Mesh, opts: ThreeMfOptions, spare: Uint8Array[] = []): Generator<Uint8Array, void, void> {
  const title = opts.title ?? 'scan2print model';
  const split = opts.split ?? (mesh.groups ? 'groups' : 'shells');
  const nTri = mesh.indices.length / 3;
  let partOf: Uint32Array;
  let ids: number[];
  if (split === 'groups' && mesh.groups) {
    partOf = mesh.groups;
    ids = [...new Set(partOf)].sort((a, b) => a - b);
  } else if (split === 'shells') {
    const s = opts.shells ?? labelShellsByVertex(mesh);
    partOf = s.shellOf;
    ids = Array.from({ length: s.shellCount }, (_, i) => i);
  } else {
    partOf = new Uint32Array(nTri);
    ids = nTri ? [0] : [];
  }
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
  const colorOfPart = ids.map((id) => partColor(id));
  const ready: Uint8Array[] = [];
  const x = new AsciiWriter(
    THREEMF_CHUNK_BYTES,
    (c) => ready.push(c),
    () => {
      const c = spare.pop();
      return c && new Uint8Array(c.buffer, c.byteOffset, c.buffer.byteLength - c.byteOffset);
    },
  );
  x.ascii(`<?xml version="1.0" encoding="UTF-8"?>\n<model unit="millimeter" xml:lang="en-US" xmlns="${CORE_NS}">\n`);
  x.text(` <metadata name="Title">${escapeXml(title)}</metadata>\n`);
  x.text(` <metadata name="Application">scan2print ${SCAN2PRINT_VERSION}</metadata>\n`);
  if (opts.creationDate) x.text(` <metadata name="CreationDate">${escapeXml(opts.creationDate)}</metadata>\n`);
  x.ascii(' <metadata name="Description">units: mm, DICOM patient coordinates (LPS)</metadata>\n <resources>\n');
  const materialsId = 1;
  if (colors.length) {
    x.ascii(`  <basematerials id="${materialsId}">\n`);
    colors.forEach((c, i) => x.ascii(`   <base name="colour ${i + 1}" displaycolor="${c}"/>\n`));
    x.ascii('  </basematerials>\n');
  }
  const { start, tris } = trianglesByPart(partOf, ids.length, split === 'groups' && mesh.groups ? ids : undefined, nTri);
  const local = new Int32Array(mesh.positions.length / 3).fill(-1);
  const used = new Uint32Array(mesh.positions.length / 3);
  const nUsed = new Uint32Array(1);
  const p = mesh.positions;
  const ix = mesh.indices;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    const objectId = materialsId + 1 + k;
    const name = opts.parts?.[id]?.name ?? (ids.length === 1 ? title : `${title} ${split === 'groups' ? 'label' : 'shell'} ${id}`);
    const c = colorOfPart[k];
    x.text(`  <object id="${objectId}" type="model" name="${escapeXml(name)}"${c !== undefined ? ` pid="${materialsId}" pindex="${c}"` : ''}>\n   <mesh>\n    <vertices>\n`);
    nUsed[0] = 0;
    for (let i = start[k]!; i < start[k + 1]!; ) {
      i = vertexLines(x, ready, p, ix, tris, i, start[k + 1]!, local, used, nUsed);
      if (ready.length) yield* ready.splice(0);
    }
    x.ascii('    </vertices>\n    <triangles>\n');
    for (let i = start[k]!; i < start[k + 1]!; ) {
      i = triangleLines(x, ready, ix, tris, i, start[k + 1]!, local);
      if (ready.length) yield* ready.splice(0);
    }
    x.ascii('    </triangles>\n   </mesh>\n  </object>\n');
    for (let i = 0; i < nUsed[0]!; i++) local[used[i]!] = -1;
  }
  x.ascii(' </resources>\n <build>\n');
  for (let k = 0; k < ids.length; k++) {
    const m = opts.transforms?.[ids[k]!];
    x.ascii(m ? `  <item objectid="${materialsId + 1 + k}" transform="${formatTransform(m, ids[k]!)}"/>\n` : `  <item objectid="${materialsId + 1 + k}"/>\n`);
  }
  x.ascii(' </build>\n</model>\n');
  x.flush();
  yield* ready.splice(0);
}

/*
 * The hot loops of modelXmlChunks, each in a small plain function of its own. In the generator
 * itself V8 compiled each loop on stack as it became hot and dropped that code at the next
 * loop it had not yet seen run (10 compilations of modelXmlChunks and 7 deoptimisations in
 * one write, `node --trace-opt --trace-deopt`): a worker writes the 3MF once, so that warm-up
 * was paid on every convert. Here each loop has its own type feedback and compiles once, and
 * the generator runs once per chunk. They return at the first triangle after which a chunk is
 * ready (the chunk bytes do not depend on when the caller takes them).
 */

/** Triangle ids grouped by part (part ranks 0..nParts-1; group ids are ranked by groupIds), in order inside each part (counting sort): part k's are tris[start[k]..start[k+1]). */
function trianglesByPart(partOf: Uint32Array, nParts: number, groupIds: number[] | undefined, nTri: number): { start: Uint32Array; tris: Uint32Array } {
  let rankOf = partOf;
  if (groupIds) {
    // Group ids to their rank: one lookup per triangle, then plain array reads.
    const rank = new Map<number, number>(groupIds.map((id, k) => [id, k]));
    rankOf = new Uint32Array(nTri);
    for (let t = 0; t < nTri; t++) rankOf[t] = rank.get(partOf[t]!)!;
  }
  const start = new Uint32Array(nParts + 1);
  for (let t = 0; t < nTri; t++) start[rankOf[t]! + 1]!++;
  for (let k = 0; k < nParts; k++) start[k + 1]! += start[k]!;
  const fill = start.slice(0, nParts);
  const tris = new Uint32Array(nTri);
  for (let t = 0; t < nTri; t++) tris[fill[rankOf[t]!]!++] = t;
  return { start, tris };
}

/**
 * Vertex lines of a part's triangles tris[i..end), each vertex at its first use (local[v] its
 * number in the part, used[] the part's vertices, nUsed[0] their count).
 */
function vertexLines(x: AsciiWriter, ready: Uint8Array[], p: Float32Array, ix: Uint32Array, tris: Uint32Array, i: number, end: number, local: Int32Array, used: Uint32Array, nUsed: Uint32Array): number {
  let n = nUsed[0]!;
  while (i < end) {
    const t3 = 3 * tris[i++]!;
    for (let c = 0; c < 3; c++) {
      const v = ix[t3 + c]!;
      if (local[v] !== -1) continue;
      local[v] = n;
      used[n++] = v;
      x.floats3(VERTEX, p[3 * v]!, p[3 * v + 1]!, p[3 * v + 2]!);
    }
    if (ready.length) break;
  }
  nUsed[0] = n;
  return i;
}

/** Triangle lines of tris[i..end), in the part's vertex numbers. */
function triangleLines(x: AsciiWriter, ready: Uint8Array[], ix: Uint32Array, tris: Uint32Array, i: number, end: number, local: Int32Array): number {
  while (i < end) {
    const t3 = 3 * tris[i++]!;
    x.uints3(TRIANGLE, local[ix[t3]!]!, local[ix[t3 + 1]!]!, local[ix[t3 + 2]!]!);
    if (ready.length) break;
  }
  return i;
}

function normaliseColor(c: string): string {
  const m = /^#?([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(c.trim());
  if (!m) throw new RangeError(`colour "${c}" is not #RRGGBB or #RRGGBBAA`);
  return `#${m[1]!.toUpperCase()}${(m[2] ?? 'FF').toUpperCase()}`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// The reader (ours and plain core-spec files) is 3mf-read.ts.

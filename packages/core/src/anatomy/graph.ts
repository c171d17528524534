/**
 * The anatomical graph's shape and lookups. The data is anatomy/graph-data.ts (versioned,
 * with sources); a caller may pass another graph of the same shape (checked here).
 */
import { usageError } from '../errors.js';
import type { BallJoint } from './ball-joint.js';

export type Range = [number, number];

/** Expected features of a region of this structure (anatomy/features.ts defines each). */
export interface StructureFeatures {
  bodyWidth_mm: Range;
  /** |x − mid-sagittal x| / body half-width. */
  lateral: Range;
  /** (y − body centre y) / body half-depth (−1 anterior, +1 posterior). */
  anterior: Range;
  widthFraction: Range;
  volume_cm3: Range;
  meanHU: Range;
  /** Air (lung) fraction of the body at the structure's levels: the thorax holds the lungs. */
  air: Range;
  /** Share of the structure's levels with bone on the midline: the legs have none (default [0.5, 1]). */
  midlineBone?: Range;
  /** Bone span of the structure's levels (features.ts boneSpan). */
  boneSpan?: Range;
  /** Share of levels with a rib cage (features.ts ribLevel). */
  ribLevel?: Range;
  /**
   * Anterior position (as `anterior`) of a piece centred within `MIDLINE_BAND` of the mid-sagittal plane (score-unary.ts):
   * a paired bone that meets its mirror on the midline only at one place (the hip bones at the pubic symphysis, in front).
   */
  midlineAnterior?: Range;
  /** Compactness (features.ts): cross-section over its x–y box. */
  compact?: Range;
  /**
   * Long bones: a piece's z extent over min(100 mm, the scan's body extent) must reach the lower bound; the shaft runs
   * as one chain of axial blobs. A piece under it loses the name after solving (identify.ts) and is named by the bone it touches.
   */
  longSpan?: Range;
  /** Share of the structure's cells in a limb (default [0, 0.5]: the trunk and head). */
  limb?: Range;
  /** Largest mean axial cross-section of a piece, cm² (thin bones: ribs). */
  areaMax_cm2?: number;
  /**
   * z extent of the whole structure, mm, for a member of a stack (AnatomyGraph.stacks) once the members above and below
   * it are named: the scan then holds all of it (solve-icm.ts; 1 per 10 mm outside, as relations).
   */
  stackHeight_mm?: Range;
  /** Largest single piece (a rib, a vertebra), cm³; default: the volume's upper bound. */
  pieceMax_cm3?: number;
}

export interface StructureDef {
  name: string;
  /** The group the structure belongs to (the forest's group names are matched to it). */
  group: string;
  side: 'left' | 'right' | null;
  /** Body region (head, neck, thorax, abdomen, pelvis, legs). */
  region: string;
  /** Display colour of its model, "#RRGGBB". */
  color: string;
  /** Usually several separate pieces in a bone mask (ribs, vertebrae). */
  multipart: boolean;
  /** TotalSegmentator (total task, v2) label names this structure is made of. */
  totalSegmentator: string[];
  features: StructureFeatures;
  /** Log prior of the structure in a bone CT (default 0); distal leg bones are rarely scanned with the pelvis. */
  logPrior?: number;
  /** Keys of AnatomyGraph.sources. */
  sources: string[];
  /** What in this entry is our estimate rather than a published figure. */
  estimate?: string;
}

/**
 * a REL b. inferior/superior/anterior: centroids (a below / above / in front of b);
 * below: a's whole extent under b's (stacked segments); level: a's z extent within b's;
 * adjacent: the two touch or nearly (≤ 10 mm apart); left-of: a at +x of b;
 * lateral-to: a's centroid farther from the mid-sagittal plane than b's;
 * apart: no region of a touches a region of b (lumbar vertebrae carry no ribs);
 * touches: regions of a touch regions of b (thoracic vertebrae carry the ribs);
 * overlaps: a's and b's z extents share at least tol_mm (L5 lies wholly at the levels of the iliac wings).
 */
export type RelationKind = 'inferior' | 'superior' | 'below' | 'level' | 'anterior' | 'adjacent' | 'left-of' | 'lateral-to' | 'apart' | 'touches' | 'overlaps';

export interface Relation {
  a: string;
  rel: RelationKind;
  b: string;
  /** Tolerance of below/level, mm (default 20); a negative one asks for a gap (below by at least −tol_mm). overlaps: the shared z extent asked for. */
  tol_mm?: number;
  /**
   * b must be in the scan for a to be named there (a scapula lies at rib-cage levels, a clavicle meets the scapula):
   * each region named a pays as much as "fits nothing" while no region is named b (solve-icm.ts). Without it a
   * relation binds only when both structures are named, so a structure whose neighbours are absent was free.
   */
  required?: boolean;
  sources: string[];
}

export interface BodyRegionDef {
  name: string;
  structures: string[];
  bodyWidth_mm: Range;
  sources: string[];
  estimate?: string;
}

export interface AnatomyGraph {
  version: string;
  frame: string;
  sources: Record<string, string>;
  regions: BodyRegionDef[];
  structures: StructureDef[];
  relations: Relation[];
  /** Joints split at their joint space once both sides are named: the hips' ball and socket, the sacroiliac joints (anatomy/ball-joint.ts). */
  joints?: BallJoint[];
  /**
   * Structures stacked along one column, top to bottom (the vertebral column): two neighbours in a stack meet at one
   * level, so the solver also tries moving that level as a whole (solve-icm.ts cutMoves).
   */
  stacks?: string[][];
}

/** Body regions from head to feet. */
export const BODY_REGIONS = ['head', 'neck', 'thorax', 'abdomen', 'pelvis', 'legs'] as const;

/** Checks a graph's internal references; a bad graph is a usage error naming the entry. */
export function checkGraph(g: AnatomyGraph): AnatomyGraph {
  const names = new Set<string>();
  for (const s of g.structures) {
    if (names.has(s.name)) throw usageError('BAD_ANATOMY_GRAPH', `anatomy graph ${g.version}: structure "${s.name}" appears twice`);
    names.add(s.name);
    if (!g.regions.some((r) => r.name === s.region)) throw usageError('BAD_ANATOMY_GRAPH', `anatomy graph ${g.version}: structure "${s.name}" is in unknown region "${s.region}"`);
    for (const src of s.sources) if (!(src in g.sources)) throw usageError('BAD_ANATOMY_GRAPH', `anatomy graph ${g.version}: structure "${s.name}" cites unknown source "${src}"`);
    for (const [k, r] of Object.entries(s.features)) {
      if (!Array.isArray(r)) continue;
      if (!(r[0] <= r[1])) throw usageError('BAD_ANATOMY_GRAPH', `anatomy graph ${g.version}: ${s.name}.${k} range [${r.join(', ')}] is empty`);
    }
  }
  for (const r of g.relations) {
    for (const n of [r.a, r.b]) if (!names.has(n)) throw usageError('BAD_ANATOMY_GRAPH', `anatomy graph ${g.version}: relation names unknown structure "${n}"`);
  }
  for (const j of g.joints ?? []) {
    for (const n of [j.head, j.socket]) if (!names.has(n)) throw usageError('BAD_ANATOMY_GRAPH', `anatomy graph ${g.version}: joint names unknown structure "${n}"`);
  }
  for (const st of g.stacks ?? []) for (const n of st) if (!names.has(n)) throw usageError('BAD_ANATOMY_GRAPH', `anatomy graph ${g.version}: stack names unknown structure "${n}"`);
  for (const r of g.regions) for (const n of r.structures) if (!names.has(n)) throw usageError('BAD_ANATOMY_GRAPH', `anatomy graph ${g.version}: region ${r.name} names unknown structure "${n}"`);
  return g;
}

/** Structure names of the graph, in graph order. */
export function structureNames(g: AnatomyGraph): string[] {
  return g.structures.map((s) => s.name);
}

/**
 * Parses `--anatomy NAME[,NAME…]`: structure names (or group names) of the graph. An unknown
 * name is a usage error listing the known ones.
 */
export function parseAnatomyNames(text: string | string[], g: AnatomyGraph): string[] {
  const raw = (Array.isArray(text) ? text : [text]).flatMap((t) => t.split(',')).map((t) => t.trim()).filter((t) => t.length > 0);
  if (raw.length === 0) throw usageError('BAD_ANATOMY', `--anatomy: expected structure names (known: ${structureNames(g).join(', ')})`);
  const out: string[] = [];
  for (const n of raw) {
    const s = g.structures.find((x) => x.name === n.toLowerCase());
    if (!s) throw usageError('UNKNOWN_STRUCTURE', `--anatomy: unknown structure "${n}" (known: ${structureNames(g).join(', ')})`);
    if (!out.includes(s.name)) out.push(s.name);
  }
  return out;
}

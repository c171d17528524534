/**
 * The print-preparation stage, (mesh, params, ctx) → { output, record }: wall thickness
 * against the printer's minimum feature, orientation for the build volume, fit, and when the
 * model does not fit, a split into parts with peg/hole connectors on every cut face. Every part
 * is a manifold-3d solid (closed, manifold, oriented by construction, and checked again by our
 * own edge counts), placed with its lowest corner at the build plate's origin; the record keeps
 * each part's rigid transform from patient LPS, so the parts re-assemble into the model.
 */
import type { Mesh } from '../geometry/types.js';
import { round, type StageContext, type StageRecord } from '../pipeline/record.js';
import { bbox_mm } from '../surface/mesh-utils.js';
import { manifoldModule } from '../surface/gate.js';
import { checkMesh } from '../surface/topology.js';
import { usageError } from '../errors.js';
import type { MaterialSpec, PrinterChoice } from './catalogue.js';
import { connectorGap_mm, cutSections, DEFAULT_CONNECTORS, faceSites, type ConnectorParams } from './connectors.js';
import { chooseCuts, type CutChoice } from './cuts.js';
import { applyPoint, free, fromManifold, invert, mat4, toManifold, type Manifold, type ManifoldModule, type RigidTransform, type Vec3 } from './manifold-mesh.js';
import { chooseOrientation, type OrientCriterion, type Orientation } from './orient.js';
import { frameToModel, Slicer } from './slicer.js';
import type { SplitLimits } from './split-plan.js';
import { crossingSites, findSelfIntersections, type CrossingSite } from '../surface/self-intersections.js';
import { DEFAULT_THICKNESS, wallThickness, type ThicknessParams, type ThicknessResult } from './thickness.js';
import { addDowels, dowelParams, type DowelParams, type DowelResult } from './dowels.js';
import { hollowParams, hollowSolid, type HollowParams, type HollowResult } from './hollow.js';
import { DEFAULT_PLATE_GAP_MM, layoutPlates, type PlateMode, type PrintPlate } from './pack-plates.js';
import { prepareRecord } from './prepare-record.js';

export interface PrepareParams {
  printer: PrinterChoice;
  material?: MaterialSpec;
  /** Default: `support` for FDM and SLA (supports cost time and marks), `height` otherwise. */
  orientBy?: OrientCriterion;
  overhang_deg?: number;
  /** Room kept free on each build-volume axis. */
  margin_mm?: number;
  /** Connector sizes, or false for plain cuts. */
  connectors?: Partial<ConnectorParams> | false;
  /** Walls thinner than this at a cut count as thin when choosing cut positions. */
  thinWall_mm?: number;
  cutCandidates?: number;
  thickness?: Partial<ThicknessParams>;
  /** Names the model in messages. */
  name?: string;
  /** Join separate shells to the main body with struts (default off). */
  dowels?: Partial<DowelParams> | false;
  /** Hollow with this wall and drain holes (default off; for resin printers). */
  hollow?: (Partial<HollowParams> & { wall_mm: number }) | false;
  /** Each part on its own plate (default), or packed onto as few plates as fit. */
  plates?: PlateMode;
  plateGap_mm?: number;
}

export type DowelSummary = Omit<DowelResult, 'mesh'>;
export type HollowSummary = Omit<HollowResult, 'mesh'>;

export interface PreparedPart {
  name: string;
  /** Cell index along x, y, z of the print frame. */
  cell: Vec3;
  /** The part in its print frame (mm), lowest corner at the origin. */
  mesh: Mesh;
  /** Patient LPS → this part's print frame: x' = R·x + t. */
  transform: RigidTransform;
  size_mm: Vec3;
  volume_mm3: number;
  triangles: number;
  closed: boolean;
  manifold: boolean;
  oriented: boolean;
  shells: number;
  manifold3d: string;
  fits: boolean;
  pegs: number;
  holes: number;
}

export interface PrintConnector {
  id: number;
  axis: 'x' | 'y' | 'z';
  /** Centre on the cut plane, in the oriented model frame and in patient LPS. */
  at_mm: Vec3;
  at_lps_mm: Vec3;
  /** Direction from the peg's part into the hole's part, in patient LPS. */
  direction_lps: Vec3;
  pegPart: string;
  holePart: string;
}

export interface PrepareOutput {
  parts: PreparedPart[];
  connectors: PrintConnector[];
  orientation: Orientation;
  cuts: CutChoice[];
  thickness: ThicknessResult;
  /** Triangles of the model as printed that pass through others (a fold), where they are. */
  selfIntersections: { triangles: number; pairs: number; sites: CrossingSite[] };
  /** The whole model fits without a split. */
  fitsWhole: boolean;
  /** Volume of pegs and holes together (re-assembly equals the model within this). */
  connectorVolume_mm3: number;
  modelVolume_mm3: number;
  /** Flat shells (|volume| < SLIVER_MM3) a cut left along the plane, removed from the parts. */
  droppedSlivers: number;
  /** Struts joining separate shells (before orientation, in LPS), or null when not asked for. */
  dowels: DowelSummary | null;
  /** Hollowing (after orientation, drain holes at the lowest points in the print), or null. */
  hollow: HollowSummary | null;
  plateMode: PlateMode;
  /** Parts on build plates, each with its transform from patient LPS onto the bed. */
  plates: PrintPlate[];
}

/** Shells below this volume are cut debris (a face grazing the plane), not material. */
export const SLIVER_MM3 = 1e-3;

/** Like StageRecord, for the print stage (not a step of the convert pipeline). */
export type PrintRecord = Omit<StageRecord, 'stage'> & { stage: 'print' };

const AXIS = ['x', 'y', 'z'] as const;

export async function preparePrint(input: Mesh, params: PrepareParams, ctx: StageContext = {}): Promise<{ output: PrepareOutput; record: PrintRecord }> {
  const m = await manifoldModule();
  let mesh = input;
  const printer = params.printer;
  const conn: ConnectorParams | undefined = params.connectors === false ? undefined : { ...DEFAULT_CONNECTORS, ...(params.connectors ?? {}) };
  const criterion: OrientCriterion = params.orientBy ?? (printer.technology === 'FDM' || printer.technology === 'SLA' ? 'support' : 'height');
  const overhang = params.overhang_deg ?? 45;
  const margin = params.margin_mm ?? 0.5;
  const thinWall = params.thinWall_mm ?? 2;
  const candidates = params.cutCandidates ?? 21;
  const thickParams = { ...DEFAULT_THICKNESS, ...(params.thickness ?? {}) };
  const name = params.name ?? 'model';
  const dowelsP = params.dowels === undefined || params.dowels === false ? undefined : dowelParams(params.dowels);
  const hollowP = params.hollow === undefined || params.hollow === false ? undefined : hollowParams(params.hollow);
  const plateMode: PlateMode = params.plates ?? 'each';
  if (plateMode !== 'each' && plateMode !== 'packed') throw usageError('BAD_PLATES', `plates "${String(plateMode)}": expected each or packed`);
  const plateGap = params.plateGap_mm ?? DEFAULT_PLATE_GAP_MM;
  if (conn && !(conn.pegDiameter_mm < conn.holeDiameter_mm && conn.pegLength_mm <= conn.holeDepth_mm)) {
    throw usageError('BAD_CONNECTORS', `connectors: the peg (${conn.pegDiameter_mm} mm × ${conn.pegLength_mm} mm) must be thinner than the hole (${conn.holeDiameter_mm} mm) and no longer than its depth (${conn.holeDepth_mm} mm)`);
  }

  let dowels: DowelSummary | null = null;
  if (dowelsP) {
    ctx.progress?.(0, 'dowels');
    const d = await addDowels(mesh, dowelsP, name);
    mesh = d.mesh;
    const { mesh: _m, ...rest } = d;
    dowels = rest;
  }
  const limits: SplitLimits = {
    build_mm: printer.buildVolume_mm,
    margin_mm: margin,
    pegAllowance_mm: conn ? conn.pegLength_mm : 0,
    minPiece_mm: conn ? conn.holeDepth_mm + conn.wall_mm + 1 : 2,
  };
  ctx.progress?.(0.2, 'orientation');
  const orientation = chooseOrientation(mesh, bbox_mm(mesh), limits, criterion, overhang);
  if (!Number.isFinite(orientation.chosen.parts)) {
    throw usageError('BUILD_TOO_SMALL', `${name}: the build volume ${printer.buildVolume_mm.join(' × ')} mm is too small for parts that carry ${limits.pegAllowance_mm} mm pegs and need ${limits.minPiece_mm} mm each`);
  }
  let hollow: HollowSummary | null = null;
  if (hollowP) {
    ctx.progress?.(0.22, 'hollowing');
    // The print's up (+z of the print frame) in LPS: the third row of the rotation.
    const r = orientation.transform.rotation;
    const h = await hollowSolid(mesh, hollowP, [r[6]!, r[7]!, r[8]!], name);
    mesh = h.mesh;
    const { mesh: _m, ...rest } = h;
    hollow = rest;
  }
  ctx.progress?.(0.26, 'wall thickness');
  // On the model as printed (struts and hollowing included).
  const thickness = wallThickness(mesh, printer.minFeature_mm, thickParams);
  ctx.progress?.(0.28, 'self-intersections');
  const crossing = findSelfIntersections(mesh.positions, mesh.indices);
  const selfIntersections = { triangles: crossing.triangles, pairs: crossing.pairs, sites: crossingSites(mesh.positions, mesh.indices, crossing.crossing) };
  const original = toManifold(m, mesh, name);
  const model = original.transform(mat4(orientation.transform));
  free(original);
  const modelVolume = model.volume();
  const slicer = new Slicer(model);
  try {
    ctx.progress?.(0.3, 'cut planes');
    const size = orientation.chosen.size_mm;
    const cutsPerAxis = chooseCuts(slicer, size, limits, conn, { thinWall_mm: thinWall, candidates });
    const bounds = cutsPerAxis.map((cuts, a) => [-1, ...cuts.map((c) => c.position_mm), size[a]! + 1]);
    ctx.progress?.(0.5, 'parts');
    const cells = cutCells(model, cutsPerAxis);
    const dims = bounds.map((b) => b.length - 1) as Vec3;
    const cellIndex = (i: number, j: number, k: number): number => (k * dims[1] + j) * dims[0] + i;
    const connectors: (PrintConnector & { a: number; u: number; v: number; c: number; lower: number; upper: number })[] = [];
    if (conn) {
      for (let a = 0; a < 3; a++) {
        const ua = (a + 1) % 3, va = (a + 2) % 3;
        for (let q = 0; q < cutsPerAxis[a]!.length; q++) {
          const c = cutsPerAxis[a]![q]!.position_mm;
          const sections = cutSections(slicer, a, c, conn);
          const atCut = slicer.slice(a, c);
          for (let iv = 0; iv < dims[va]!; iv++) {
            for (let iu = 0; iu < dims[ua]!; iu++) {
              const rect = { min: [bounds[ua]![iu]!, bounds[va]![iv]!] as [number, number], max: [bounds[ua]![iu + 1]!, bounds[va]![iv + 1]!] as [number, number] };
              const clear = (u: number, v: number): boolean => connectors.every((o) => (o.a === a && o.c === c) || connectorGap_mm({ a, c, u, v }, o, conn) >= conn.wall_mm);
              const f = faceSites(m, sections, atCut, rect, conn, clear);
              const idx = (side: number): number => {
                const ijk = [0, 0, 0];
                ijk[a] = side;
                ijk[ua] = iu;
                ijk[va] = iv;
                return cellIndex(ijk[0]!, ijk[1]!, ijk[2]!);
              };
              for (const [u, v] of f.sites) {
                const at: Vec3 = [0, 0, 0];
                at[a] = c;
                at[ua] = u;
                at[va] = v;
                connectors.push({ id: connectors.length + 1, axis: AXIS[a]!, at_mm: at.map((x) => round(x, 3)) as Vec3, at_lps_mm: [0, 0, 0], direction_lps: [0, 0, 0], pegPart: '', holePart: '', a, u, v, c, lower: idx(q), upper: idx(q + 1) });
              }
            }
          }
          free(atCut, ...sections);
        }
      }
    }
    const back = invert(orientation.transform);
    const partOf = new Map<number, string>();
    const parts: PreparedPart[] = [];
    const exactSize = new Map<string, Vec3>();
    const nonEmpty = cells.map((cell, i) => ({ cell, i })).filter((x) => !x.cell.isEmpty() && x.cell.volume() > 1e-6);
    const width = String(nonEmpty.length).length;
    let slivers = 0;
    for (const { cell, i } of nonEmpty) {
      const pegs = connectors.filter((x) => x.lower === i);
      const holes = connectors.filter((x) => x.upper === i);
      const joined = withConnectors(m, cell, pegs, holes, conn);
      const { solid, dropped } = dropSlivers(m, joined);
      slivers += dropped;
      const bb = solid.boundingBox();
      const lo = [bb.min[0], bb.min[1], bb.min[2]];
      const placed = solid.translate([-lo[0]!, -lo[1]!, -lo[2]!]);
      const partName = `part-${String(parts.length + 1).padStart(width, '0')}`;
      partOf.set(i, partName);
      exactSize.set(partName, [bb.max[0] - bb.min[0], bb.max[1] - bb.min[1], bb.max[2] - bb.min[2]]);
      const pm = fromManifold(placed);
      const check = checkMesh(pm);
      const sz: Vec3 = [bb.max[0] - bb.min[0], bb.max[1] - bb.min[1], bb.max[2] - bb.min[2]];
      const t = orientation.transform;
      parts.push({
        name: partName,
        cell: [i % dims[0], Math.floor(i / dims[0]) % dims[1], Math.floor(i / (dims[0] * dims[1]))],
        mesh: pm,
        transform: { rotation: t.rotation, translation: [t.translation[0] - lo[0]!, t.translation[1] - lo[1]!, t.translation[2] - lo[2]!].map((x) => round(x, 6)) as Vec3 },
        size_mm: sz.map((x) => round(x, 3)) as Vec3,
        volume_mm3: round(placed.volume(), 3),
        triangles: placed.numTri(),
        closed: check.closed,
        manifold: check.manifold,
        oriented: check.oriented,
        shells: check.shells,
        manifold3d: placed.status(),
        fits: sz.every((s, k) => s <= printer.buildVolume_mm[k]! + 1e-6),
        pegs: pegs.length,
        holes: holes.length,
      });
      if (solid !== cell) free(solid);
      if (joined !== cell && joined !== solid) free(joined);
      free(placed);
    }
    for (const cell of cells) free(cell);
    const rot = back.rotation;
    for (const x of connectors) {
      x.at_lps_mm = applyPoint(back, x.at_mm).map((v) => round(v, 3)) as Vec3;
      const dir = [0, 0, 0];
      dir[x.a] = 1;
      x.direction_lps = [rot[0]! * dir[0]! + rot[1]! * dir[1]! + rot[2]! * dir[2]!, rot[3]! * dir[0]! + rot[4]! * dir[1]! + rot[5]! * dir[2]!, rot[6]! * dir[0]! + rot[7]! * dir[1]! + rot[8]! * dir[2]!].map((v) => v || 0) as Vec3;
      x.pegPart = partOf.get(x.lower) ?? '';
      x.holePart = partOf.get(x.upper) ?? '';
    }
    const cuts = cutsPerAxis.flat();
    const connectorVolume = conn ? connectors.length * Math.PI * ((conn.pegDiameter_mm / 2) ** 2 * conn.pegLength_mm + (conn.holeDiameter_mm / 2) ** 2 * conn.holeDepth_mm) : 0;
    const output: PrepareOutput = {
      parts,
      connectors: connectors.map(({ a: _a, u: _u, v: _v, c: _c, lower: _l, upper: _up, ...rest }) => rest),
      orientation,
      cuts,
      thickness,
      selfIntersections,
      fitsWhole: orientation.chosen.fits,
      connectorVolume_mm3: round(connectorVolume, 3),
      modelVolume_mm3: round(modelVolume, 3),
      droppedSlivers: slivers,
      dowels,
      hollow,
      plateMode,
      plates: layoutPlates(parts.map((p) => ({ name: p.name, size_mm: exactSize.get(p.name)!, transform: p.transform })), [printer.buildVolume_mm[0], printer.buildVolume_mm[1]], plateMode, plateGap),
    };
    ctx.progress?.(1, 'done');
    return { output, record: prepareRecord(output, params, { criterion, overhang, margin, thinWall, candidates, conn, thickParams, dowels: dowelsP, hollow: hollowP, plateGap }) };
  } finally {
    slicer.dispose();
    free(model);
  }
}

/** Cells of the cut grid, x fastest: successive plane splits (each piece split once per plane). */
function cutCells(model: Manifold, cuts: CutChoice[][]): Manifold[] {
  let pieces = [model];
  for (let a = 0; a < 3; a++) {
    if (cuts[a]!.length === 0) continue;
    const normal: Vec3 = [0, 0, 0];
    normal[a] = 1;
    const next = pieces.map((piece) => {
      const slabs: Manifold[] = [];
      let rest = piece;
      for (const c of cuts[a]!) {
        // The first result lies on the normal's side (above the cut).
        const [above, below] = rest.splitByPlane(normal, c.position_mm);
        slabs.push(below);
        if (rest !== piece) free(rest);
        rest = above;
      }
      slabs.push(rest);
      if (piece !== model) free(piece);
      return slabs;
    });
    pieces = reorder(next, a, cuts.map((c) => c.length + 1));
  }
  // Uncut: a copy, since the caller frees the model and the cells apart.
  if (pieces.length === 1 && pieces[0] === model) return [model.translate([0, 0, 0])];
  return pieces;
}

/** After cutting axis `a`, lays the pieces out so the cell index is x fastest, then y, then z. */
function reorder(next: Manifold[][], a: number, n: number[]): Manifold[] {
  // next[p][s]: p indexes the cells over axes < a (x fastest), s the new slab along a.
  const before = a === 0 ? 1 : a === 1 ? n[0]! : n[0]! * n[1]!;
  const out: Manifold[] = [];
  for (let s = 0; s < n[a]!; s++) for (let p = 0; p < before; p++) out[s * before + p] = next[p]![s]!;
  return out;
}

function withConnectors(m: ManifoldModule, cell: Manifold, pegs: { a: number; u: number; v: number; c: number }[], holes: { a: number; u: number; v: number; c: number }[], conn: ConnectorParams | undefined): Manifold {
  if (!conn || (pegs.length === 0 && holes.length === 0)) return cell;
  const cyl = (x: { a: number; u: number; v: number; c: number }, r: number, from: number, to: number): Manifold => {
    const base = m.Manifold.cylinder(to - from, r, r, conn.segments);
    const moved = base.translate([x.u, x.v, x.c + from]);
    const out = moved.transform(frameToModel(x.a));
    free(base, moved);
    return out;
  };
  let solid = cell;
  if (pegs.length) {
    const list = pegs.map((x) => cyl(x, conn.pegDiameter_mm / 2, -conn.pegRoot_mm, conn.pegLength_mm));
    const u = m.Manifold.union(list);
    solid = solid.add(u);
    free(u, ...list);
  }
  if (holes.length) {
    // The hole starts half a millimetre outside the face so no sliver of face is left over it.
    const list = holes.map((x) => cyl(x, conn.holeDiameter_mm / 2, -0.5, conn.holeDepth_mm));
    const u = m.Manifold.union(list);
    const cut = solid.subtract(u);
    if (solid !== cell) free(solid);
    solid = cut;
    free(u, ...list);
  }
  return solid;
}

/** Removes flat shells a cut left behind (manifold-3d keeps them; our orientation check rightly calls a zero-volume shell inverted). */
function dropSlivers(m: ManifoldModule, solid: Manifold): { solid: Manifold; dropped: number } {
  const pieces = solid.decompose();
  const keep = pieces.filter((x) => Math.abs(x.volume()) >= SLIVER_MM3);
  if (keep.length === pieces.length) {
    free(...pieces);
    return { solid, dropped: 0 };
  }
  const out = m.Manifold.compose(keep);
  free(...pieces);
  return { solid: out, dropped: pieces.length - keep.length };
}

/**
 * The print stage's record: the parameters used, the figures of every part, connector and
 * plate, and the findings a user must see (a size implausible in mm, split, thin walls,
 * self-intersections, loose shells, unprintable parts).
 */
import type { ConnectorParams } from './connectors.js';
import type { DowelParams } from './dowels.js';
import type { HollowParams } from './hollow.js';
import type { OrientCriterion } from './orient.js';
import type { PrepareOutput, PrepareParams, PrintRecord } from './prepare.js';
import type { ThicknessParams } from './thickness.js';
import type { Finding } from '../pipeline/record.js';
import type { Mesh } from '../geometry/types.js';
import { labelShells, shellVolumes_mm3 } from '../surface/mesh-utils.js';

/** Under this largest side a model is more likely in the wrong unit than anatomy worth preparing. */
const IMPLAUSIBLE_SMALL_MM = 10;

/**
 * A warning when the model's size is implausible in millimetres: STL, OBJ and PLY carry no unit,
 * and a skull exported in inches reads as ~7 mm (in metres, ~0.2 mm); one 25.4 times too large
 * is beyond any printer. Nothing is rescaled: only the user knows the unit it was meant in.
 */
export function implausibleSize(size_mm: readonly number[], buildVolume_mm: readonly number[]): Finding | undefined {
  const largest = Math.max(...size_mm);
  const bed = Math.max(...buildVolume_mm);
  const r = (x: number): number => Math.round(x * 100) / 100;
  if (largest < IMPLAUSIBLE_SMALL_MM) {
    return { code: 'SIZE_IMPLAUSIBLE', severity: 'warn', message: `the model's largest side ${r(largest)} mm is under ${IMPLAUSIBLE_SMALL_MM} mm: it may be in inches or metres, not millimetres (STL, OBJ and PLY have no unit); check its size before printing` };
  }
  if (largest > 25.4 * bed) {
    return { code: 'SIZE_IMPLAUSIBLE', severity: 'warn', message: `the model's largest side ${r(largest)} mm is over 25.4 × the printer's largest side (${bed} mm): it may be in the wrong unit (converted from inches twice, or in micrometres), not millimetres; check its size before printing` };
  }
  return undefined;
}

/**
 * Shells of positive volume: the solid pieces of a part. A hollowed part's cavity surface is a
 * shell too, but an inward one (negative volume), and prints as the wall of the piece around it.
 */
function solidPieces(mesh: Mesh): number {
  const { shellOf, shellCount } = labelShells(mesh);
  return shellVolumes_mm3(mesh, shellOf, shellCount).filter((v) => v > 0).length;
}

export function prepareRecord(
  o: PrepareOutput,
  params: PrepareParams,
  used: { criterion: OrientCriterion; overhang: number; margin: number; thinWall: number; candidates: number; conn: ConnectorParams | undefined; thickParams: ThicknessParams; dowels: DowelParams | undefined; hollow: HollowParams | undefined; plateGap: number },
): PrintRecord {
  const findings: PrintRecord['findings'] = [];
  const size = implausibleSize(o.orientation.chosen.size_mm, params.printer.buildVolume_mm);
  if (size) findings.push(size);
  const notJoined = o.dowels?.dowels.filter((d) => !d.joined) ?? [];
  if (notJoined.length) findings.push({ code: 'DOWEL_TOO_LONG', severity: 'warn', message: `${notJoined.length} separate shells not joined (${notJoined.map((d) => `shell ${d.shell}, ${d.shellVolume_mm3} mm³: ${d.reason}`).join('; ')}); they print as loose pieces` });
  if (o.hollow && params.printer.technology === 'FDM') findings.push({ code: 'HOLLOW_FDM', severity: 'warn', message: `hollowed for an FDM printer (${params.printer.name}): FDM slicers make their own infill, and drain holes are for resin; hollowing is meant for SLA` });
  if (o.hollow && o.hollow.closedVoids > 0) findings.push({ code: 'HOLLOW_CLOSED_VOID', severity: 'warn', message: `${o.hollow.closedVoids} closed voids left after hollowing (no drain hole into them): resin or powder stays trapped` });
  if (o.thickness.thinFeatures > 0) {
    findings.push({ code: 'THIN_FEATURES', severity: 'warn', message: `${o.thickness.thinFeatures} features thinner than the printer's minimum ${params.printer.minFeature_mm} mm (thinnest ${o.thickness.min_mm} mm; locations in the record)` });
  }
  const si = o.selfIntersections;
  if (si.triangles > 0) {
    const at = si.sites[0]!;
    findings.push({ code: 'SELF_INTERSECTIONS', severity: 'warn', message: `${si.triangles} triangles pass through other triangles of the model (${si.pairs} crossing pairs; the most, ${at.triangles}, near (${at.at_mm.join(', ')}) mm; sites in the record): the surface folds through itself there, a slicer may leave a notch or a hole, and the wall thickness reads ~0 mm at such spots` });
  }
  if (!o.fitsWhole) findings.push({ code: 'SPLIT', severity: 'info', message: `the model does not fit ${params.printer.buildVolume_mm.join(' × ')} mm in any axis-aligned orientation: split into ${o.parts.length} parts with ${o.connectors.length} connectors` });
  // Only when connectors were asked for: with --no-connectors no part has any, by choice.
  const loose = o.fitsWhole || !used.conn ? [] : o.parts.filter((p) => p.pegs + p.holes === 0);
  if (loose.length) findings.push({ code: 'PART_WITHOUT_CONNECTORS', severity: 'warn', message: `${loose.map((p) => `${p.name} (${p.volume_mm3} mm³)`).join(', ')}: no cut face with room for a connector; align by hand when gluing` });
  const pieces = o.parts.map((p) => ({ name: p.name, pieces: p.shells > 1 ? solidPieces(p.mesh) : 1 })).filter((p) => p.pieces > 1);
  if (pieces.length) {
    findings.push({ code: 'LOOSE_SHELLS', severity: 'warn', message: `${pieces.map((p) => `${p.name} (${p.pieces} pieces)`).join(', ')}: shells not connected to each other, which print as separate pieces${o.dowels ? '' : '; --dowels joins separate shells to the main body with struts'}` });
  }
  const bad = o.parts.filter((p) => !p.closed || !p.manifold || !p.oriented || p.manifold3d !== 'NoError' || !p.fits);
  if (bad.length) findings.push({ code: 'PART_NOT_PRINTABLE', severity: 'error', message: `${bad.map((p) => p.name).join(', ')}: not closed, manifold, oriented and inside the build volume` });
  return {
    stage: 'print',
    method: 'prepare-print',
    params: {
      printer: params.printer,
      material: params.material ? { id: params.material.id, name: params.material.name } : null,
      orientBy: used.criterion,
      orientCandidates: '24 axis-aligned rotations',
      overhang_deg: used.overhang,
      margin_mm: used.margin,
      connectors: used.conn ?? false,
      connectorSides: used.conn ? 'pegs on the part below the cut (lower coordinate in the print frame), holes on the part above' : null,
      cutThinWall_mm: used.thinWall,
      cutCandidates: used.candidates,
      thickness: used.thickParams,
      frame: 'parts in their print frame (mm, lowest corner at the origin); transform = patient LPS → print frame',
      dowels: used.dowels ?? false,
      hollow: used.hollow ?? false,
      plates: o.plateMode,
      plateGap_mm: used.plateGap,
      packing: o.plateMode === 'packed' ? 'shelf packing (first-fit decreasing height) of the parts\' xy extents, 90° turns allowed, gap between parts, none at the bed edges' : 'one part per plate, at the bed corner',
      order: 'dowels (LPS) → orientation → hollowing (drain holes lowest in the print orientation) → wall thickness and self-intersections → cuts and connectors → plates',
    },
    figures: {
      modelVolume_mm3: o.modelVolume_mm3,
      fitsWhole: o.fitsWhole,
      orientation: { up: o.orientation.chosen.up, rotation: o.orientation.chosen.rotation, size_mm: o.orientation.chosen.size_mm, supportArea_mm2: o.orientation.chosen.supportArea_mm2, partsPerAxis: o.orientation.chosen.partsPerAxis, byUp: o.orientation.table.map((c) => ({ up: c.up, size_mm: c.size_mm, supportArea_mm2: c.supportArea_mm2, parts: c.parts })) },
      thickness: o.thickness,
      selfIntersections: o.selfIntersections,
      cuts: o.cuts,
      parts: o.parts.map(({ mesh: _mesh, ...rest }) => rest),
      connectors: o.connectors,
      connectorVolume_mm3: o.connectorVolume_mm3,
      droppedSlivers: o.droppedSlivers,
      dowels: o.dowels,
      hollow: o.hollow,
      plates: o.plates,
    },
    ...(findings.length ? { findings } : {}),
  };
}

/**
 * The pieces of the automatic choice (choose.ts) that measure one pair: does the model fit the
 * printer as it lies (turned about the vertical only, as the quote slices it), how many parts
 * would prepare cut it into when it does not, and a quick estimate of time, material and price
 * to rank the pairs that can print it. The estimate is not the quote: the chosen pair is quoted
 * afterwards the normal way (PrusaSlicer for FDM).
 */
import type { MaterialSpec, PrinterSpec } from './catalogue.js';
import { DEFAULT_CONNECTORS } from './connectors.js';
import { fitFootprint, type Point2 } from './footprint-fit.js';
import { estimateByVolume, priceQuote } from './quote.js';
import { partsAlong, type SplitLimits } from './split-plan.js';

/**
 * FDM's quick model, for ranking only (an FDM quote is PrusaSlicer's): our round figures for a
 * 0.4 mm nozzle at 0.2 mm layers with this project's generated PrusaSlicer configuration (15 %
 * infill, supports on), in the volume/height model's form (quote.ts VOLUME_MODEL):
 *
 *   time_s     = layers × 40 s + volume_cm3 × (1 + 0.15 supports) × 300 s  (≈ 12 cm³ extruded per hour)
 *   material_g = volume_cm3 × (1 + 0.15 supports) × density
 *
 * Checked once against PrusaSlicer 2.5 on the Prusa MK4 in PLA: the phantom skull (370 cm³,
 * 132 mm high) 154 k s against its 175 k s (−12 %), 527 g against 589 g; a lumbar vertebra at
 * 25 %, 40 % and 100 % scale +69 %, +31 % and +71 % in time (a solid bone is mostly 15 % infill,
 * a skull mostly wall and support). Good enough to rank FDM against the other technologies; not
 * a quote.
 */
export const FDM_QUICK_MODEL = { layer_mm: 0.2, perLayer_s: 40, perCm3_s: 300, supportFraction: 0.15, assumedDensity_g_cm3: 1.24 } as const;

export interface PairEstimate {
  printTime_s: number;
  material_g: number;
  /** The catalogue's price of that time and material (priceQuote), null with `missing` when it lacks one. */
  price: number | null;
  currency: string | null;
  missing: string[];
  layerHeight_mm: number;
  /** The formula with its figures. */
  model: string;
}

export interface ModelFigures {
  /** Bounding box as the model lies, mm (x, y, z; z is up on the bed). */
  size_mm: [number, number, number];
  volume_mm3: number;
  /** Convex hull of the footprint (the model's vertices on the bed). */
  hull: readonly Point2[];
}

/** Where the model fits on the printer, as it lies: the turn about the vertical, or null. */
export function fitAsItLies(m: ModelFigures, printer: PrinterSpec): { turn_deg: number } | null {
  const [w, d, h] = printer.buildVolume_mm.value;
  if (m.size_mm[2] > h) return null;
  const [x, y] = m.size_mm;
  // As the quote does: no turn when it fits as it lies or a quarter turn (the slicer arranges that).
  if ((x <= w && y <= d) || (x <= d && y <= w)) return { turn_deg: 0 };
  const fit = fitFootprint(m.hull, { w, d }, 'room');
  return fit ? { turn_deg: Math.round(fit.turn_deg * 100) / 100 } : null;
}

/**
 * What prepare would do with a model too large as it lies: the fewest parts over the axis-aligned
 * orientations (prepare's own limits: 0.5 mm margin, default pegs), 1 when another side down fits
 * whole, Infinity when the build volume is too small even for parts carrying pegs.
 */
export function partsNeeded(size_mm: [number, number, number], printer: PrinterSpec): number {
  const build = printer.buildVolume_mm.value;
  const c = DEFAULT_CONNECTORS;
  const limits: SplitLimits = { build_mm: build, margin_mm: 0.5, pegAllowance_mm: c.pegLength_mm, minPiece_mm: c.holeDepth_mm + c.wall_mm + 1 };
  const perms: [number, number, number][] = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  let best = Infinity;
  for (const p of perms) best = Math.min(best, p.reduce((n, axis, k) => n * partsAlong(size_mm[axis]!, build[k]!, limits), 1));
  return best;
}

const r2 = (x: number): number => Math.round(x * 100) / 100;

/** Layer height of the FDM quick model: 0.2 mm brought into the printer's range, as the slicer configuration does. */
function fdmLayer(printer: PrinterSpec): number {
  const range = printer.layerHeight_mm.value;
  return range ? Math.min(range[1], Math.max(range[0], FDM_QUICK_MODEL.layer_mm)) : FDM_QUICK_MODEL.layer_mm;
}

/** The quick estimate of one pair: the volume/height model (FDM: FDM_QUICK_MODEL), priced from the catalogue. */
export function quickEstimate(m: ModelFigures, printer: PrinterSpec, material: MaterialSpec, supports: boolean): PairEstimate {
  let est: { printTime_s: number; material_g: number; layerHeight_mm: number; model: string };
  if (printer.technology === 'FDM') {
    const k = FDM_QUICK_MODEL;
    const layer = fdmLayer(printer);
    const layers = Math.max(1, Math.ceil(m.size_mm[2] / layer - 1e-9));
    const cm3 = m.volume_mm3 / 1000;
    const extruded = cm3 * (supports ? 1 + k.supportFraction : 1);
    const density = material.density_g_cm3.value ?? k.assumedDensity_g_cm3;
    est = {
      printTime_s: Math.round(layers * k.perLayer_s + extruded * k.perCm3_s),
      material_g: extruded * density,
      layerHeight_mm: layer,
      model:
        `FDM quick model (ranking only, not a slice): time = ${layers} layers (${r2(m.size_mm[2])} mm at ${layer} mm) × ${k.perLayer_s} s/layer`
        + ` + ${r2(cm3)} cm³ × ${supports ? 1 + k.supportFraction : 1} × ${k.perCm3_s} s/cm³; material = ${r2(extruded)} cm³ × ${density} g/cm³`,
    };
  } else {
    const v = estimateByVolume({ volume_mm3: m.volume_mm3, height_mm: m.size_mm[2], bbox_mm: m.size_mm }, printer, material, { supports });
    est = { printTime_s: v.printTime_s, material_g: v.material_g, layerHeight_mm: v.layerHeight_mm, model: v.model };
  }
  const q = priceQuote(est, printer, material, 'volume-height-model', supports);
  return { printTime_s: q.printTime_s, material_g: q.material_g, price: q.price, currency: q.currency, missing: q.missing, layerHeight_mm: est.layerHeight_mm, model: est.model };
}

/**
 * The PrusaSlicer configuration (.ini) for a catalogue FDM printer and material. Only what the
 * catalogue knows is set (bed, height, nozzle, layer height, filament diameter and density,
 * temperatures, supports) plus the few print settings written out so the hash covers them;
 * everything else is PrusaSlicer's built-in default, not the maker's tuned printer profile, so
 * times are an indication (a modern printer's profile is usually faster). Same inputs → same
 * bytes: keys sorted, numbers written as given, no date.
 */
import { createHash } from 'node:crypto';
import { usageError, type MaterialSpec, type PrinterSpec } from '@scan2print/core';

export interface PrusaConfig {
  ini: string;
  sha256: string;
  settings: Record<string, string | number>;
  /** Values chosen because the catalogue has none. */
  assumptions: string[];
}

/** 0.2 mm: the usual layer height for a 0.4 mm nozzle (half its diameter), within the printer's range. */
const DEFAULT_LAYER_MM = 0.2;
/** Temperatures when the material has none recorded: PLA's, the commonest FDM material. */
const FALLBACK_TEMP = { nozzle: 215, bed: 60 };

export function prusaConfig(printer: PrinterSpec, material: MaterialSpec, opts: { supports: boolean; layerHeight_mm?: number }): PrusaConfig {
  if (printer.technology !== 'FDM') throw usageError('NOT_FDM', `${printer.id} is ${printer.technology}: PrusaSlicer slices FDM printers only here`);
  if (material.technology !== 'FDM') throw usageError('NOT_FDM', `${material.id} is ${material.technology}, not an FDM filament`);
  const assumptions: string[] = [];
  const [w, d, h] = printer.buildVolume_mm.value;
  const nozzle = printer.nozzle_mm?.value ?? null;
  if (nozzle === null) assumptions.push(`nozzle of ${printer.id} assumed 0.4 mm (the catalogue has none)`);
  const range = printer.layerHeight_mm.value;
  let layer = opts.layerHeight_mm ?? DEFAULT_LAYER_MM;
  if (range && (layer < range[0] || layer > range[1])) {
    if (opts.layerHeight_mm !== undefined) throw usageError('BAD_LAYER_HEIGHT', `--layer-height ${layer}: ${printer.id} prints ${range[0]}–${range[1]} mm layers`);
    layer = Math.min(range[1], Math.max(range[0], layer));
  }
  const density = material.density_g_cm3.value;
  if (density === null) throw usageError('NO_DENSITY', `${material.id} has no density in the catalogue: grams of filament need one`);
  const temp = material.temperature_C?.value ?? null;
  if (temp === null) assumptions.push(`temperatures of ${material.id} assumed ${FALLBACK_TEMP.nozzle} °C nozzle, ${FALLBACK_TEMP.bed} °C bed (the catalogue has none)`);
  const t = temp ?? FALLBACK_TEMP;
  const settings: Record<string, string | number> = {
    bed_shape: `0x0,${w}x0,${w}x${d},0x${d}`,
    bed_temperature: t.bed,
    filament_cost: 0, // priced by the quote from the catalogue, not by the slicer
    filament_density: density,
    filament_diameter: 1.75,
    fill_density: '15%',
    first_layer_bed_temperature: t.bed,
    first_layer_height: layer,
    first_layer_temperature: t.nozzle,
    gcode_flavor: 'marlin2',
    layer_height: layer,
    max_print_height: h,
    nozzle_diameter: nozzle ?? 0.4,
    perimeters: 2,
    support_material: opts.supports ? 1 : 0,
    support_material_auto: 1,
    temperature: t.nozzle,
  };
  const ini = `# scan2print: PrusaSlicer configuration for ${printer.id} with ${material.id}\n${Object.keys(settings)
    .sort()
    .map((k) => `${k} = ${settings[k]}`)
    .join('\n')}\n`;
  return { ini, sha256: createHash('sha256').update(ini).digest('hex'), settings, assumptions };
}

/**
 * The starting printer and material catalogue: versioned, JSON-shaped data (the server will
 * store and let an org-admin edit the same shape). Every value carries its source. Values are
 * only filled in where they are a maker's published figure we are confident of; the rest are
 * null with a source saying why (a price depends on the supplier and the date, so none is
 * shipped). Minimum feature sizes are rarely on a data sheet: where one is given here it is a
 * stated rule of thumb (source says which) that the technician should confirm.
 */
import { z } from 'zod';
import { ScanError, usageError } from '../errors.js';

/** The print technologies the catalogue knows (and the schemas, the CLI and the API accept). */
export const TECHNOLOGIES = ['FDM', 'SLA', 'SLS', 'PolyJet'] as const;
export type Technology = (typeof TECHNOLOGIES)[number];

export interface Sourced<T> {
  value: T;
  source: string;
}

export interface PrinterSpec {
  id: string;
  name: string;
  maker: string;
  technology: Technology;
  /** Build volume x (width) × y (depth) × z (height), mm. */
  buildVolume_mm: Sourced<[number, number, number]>;
  /** Finest and coarsest layer height, mm (null where not confident). */
  layerHeight_mm: Sourced<[number, number] | null>;
  /** Thinnest wall or feature that prints reliably, mm. */
  minFeature_mm: Sourced<number>;
  /** Material ids this printer uses. */
  materials: string[];
  /**
   * Machine time price per hour of printing (depreciation, power, maintenance, the
   * technician's share): the organisation's own figure, never shipped.
   */
  machineRate_per_h: Sourced<number | null> & { currency: string | null };
  /** Set-up cost per print job (plate preparation, post-processing start): the organisation's own figure. */
  setup: Sourced<number | null> & { currency: string | null };
  /** Nozzle diameter, mm (FDM only; the slicer's extrusion width follows from it). */
  nozzle_mm?: Sourced<number | null>;
}

export interface MaterialSpec {
  id: string;
  name: string;
  technology: Technology;
  /** g/cm³ of the printed part (null where not confident). */
  density_g_cm3: Sourced<number | null>;
  /** Price per kg (null: the organisation enters its supplier's price). */
  pricePerKg: Sourced<number | null> & { currency: string | null };
  biocompatible: Sourced<boolean | null>;
  sterilisable: Sourced<boolean | null>;
  /** FDM: nozzle and bed temperature, °C (the slicer configuration uses them; null: PLA-like defaults). */
  temperature_C?: Sourced<{ nozzle: number; bed: number } | null>;
}

export interface PrintCatalogue {
  version: string;
  printers: PrinterSpec[];
  materials: MaterialSpec[];
}

const DS = (product: string): string => `maker's data sheet: ${product}`;
const NO_PRICE = { value: null, currency: null, source: 'not shipped: prices depend on supplier and date; the organisation enters its own' };
const NO_RATE = { value: null, currency: null, source: "not shipped: the machine-hour rate is the organisation's own (depreciation, power, maintenance, staff); enter it" };
const NO_SETUP = { value: null, currency: null, source: "not shipped: the set-up cost per job is the organisation's own (plate preparation, post-processing); enter it" };
/** Every FDM printer here ships with a 0.4 mm nozzle (the makers' standard configuration). */
const NOZZLE_04 = (product: string): Sourced<number> => ({ value: 0.4, source: `${DS(product)} (ships with a 0.4 mm nozzle; change it if yours has another)` });
const UNKNOWN = (what: string): Sourced<null> => ({ value: null, source: `not stated here: ${what} not confirmed from the maker's data sheet` });
/** The SPEC's default (§1 step 6: "features under ~0.3 mm may not print") where no maker figure is recorded. */
const SPEC_MIN = { value: 0.3, source: 'scan2print default (SPEC §1 step 6: features under ~0.3 mm may not print); no maker figure recorded' };

export const PRINT_CATALOGUE: PrintCatalogue = {
  version: '2026-11-30.1',
  printers: [
    {
      id: 'prusa-mk4',
      name: 'Original Prusa MK4',
      maker: 'Prusa Research',
      technology: 'FDM',
      buildVolume_mm: { value: [250, 210, 220], source: DS('Original Prusa MK4 (build volume 25 × 21 × 22 cm)') },
      layerHeight_mm: { value: [0.05, 0.3], source: DS('Original Prusa MK4 (layer height 0.05–0.30 mm)') },
      minFeature_mm: { value: 0.4, source: 'one extrusion width ≈ the standard 0.4 mm nozzle (rule of thumb, not a data-sheet figure)' },
      materials: ['pla', 'petg'],
      machineRate_per_h: NO_RATE,
      setup: NO_SETUP,
      nozzle_mm: NOZZLE_04('Original Prusa MK4'),
    },
    {
      id: 'prusa-xl',
      name: 'Original Prusa XL',
      maker: 'Prusa Research',
      technology: 'FDM',
      buildVolume_mm: { value: [360, 360, 360], source: DS('Original Prusa XL (build volume 36 × 36 × 36 cm)') },
      layerHeight_mm: { value: [0.05, 0.3], source: DS('Original Prusa XL (layer height 0.05–0.30 mm)') },
      minFeature_mm: { value: 0.4, source: 'one extrusion width ≈ the standard 0.4 mm nozzle (rule of thumb, not a data-sheet figure)' },
      materials: ['pla', 'petg'],
      machineRate_per_h: NO_RATE,
      setup: NO_SETUP,
      nozzle_mm: NOZZLE_04('Original Prusa XL'),
    },
    {
      id: 'bambu-x1c',
      name: 'Bambu Lab X1-Carbon',
      maker: 'Bambu Lab',
      technology: 'FDM',
      buildVolume_mm: { value: [256, 256, 256], source: DS('Bambu Lab X1-Carbon (build volume 256 × 256 × 256 mm³)') },
      layerHeight_mm: UNKNOWN('layer height range'),
      minFeature_mm: { value: 0.4, source: 'one extrusion width ≈ the standard 0.4 mm nozzle (rule of thumb, not a data-sheet figure)' },
      materials: ['pla', 'petg'],
      machineRate_per_h: NO_RATE,
      setup: NO_SETUP,
      nozzle_mm: NOZZLE_04('Bambu Lab X1-Carbon'),
    },
    {
      id: 'formlabs-form3plus',
      name: 'Formlabs Form 3+',
      maker: 'Formlabs',
      technology: 'SLA',
      buildVolume_mm: { value: [145, 145, 185], source: DS('Formlabs Form 3+ (build volume 14.5 × 14.5 × 18.5 cm)') },
      layerHeight_mm: { value: [0.025, 0.3], source: DS('Formlabs Form 3+ (layer thickness 25–300 µm)') },
      minFeature_mm: SPEC_MIN,
      materials: ['formlabs-biomed-clear', 'formlabs-grey'],
      machineRate_per_h: NO_RATE,
      setup: NO_SETUP,
    },
    {
      id: 'formlabs-form4',
      name: 'Formlabs Form 4',
      maker: 'Formlabs',
      technology: 'SLA',
      buildVolume_mm: { value: [200, 125, 210], source: DS('Formlabs Form 4 (build volume 20.0 × 12.5 × 21.0 cm)') },
      layerHeight_mm: UNKNOWN('layer thickness range'),
      minFeature_mm: SPEC_MIN,
      materials: ['formlabs-biomed-clear', 'formlabs-grey'],
      machineRate_per_h: NO_RATE,
      setup: NO_SETUP,
    },
    {
      id: 'stratasys-j5',
      name: 'Stratasys J5 Digital Anatomy',
      maker: 'Stratasys',
      technology: 'PolyJet',
      buildVolume_mm: { value: [140, 200, 190], source: DS('Stratasys J5 Digital Anatomy (tray 140 × 200 × 190 mm)') },
      layerHeight_mm: UNKNOWN('layer thickness'),
      minFeature_mm: SPEC_MIN,
      materials: ['stratasys-med610'],
      machineRate_per_h: NO_RATE,
      setup: NO_SETUP,
    },
    {
      id: 'stratasys-j850',
      name: 'Stratasys J850 Digital Anatomy',
      maker: 'Stratasys',
      technology: 'PolyJet',
      buildVolume_mm: { value: [490, 390, 200], source: DS('Stratasys J850 Digital Anatomy (build size 490 × 390 × 200 mm)') },
      layerHeight_mm: UNKNOWN('layer thickness'),
      minFeature_mm: SPEC_MIN,
      materials: ['stratasys-med610'],
      machineRate_per_h: NO_RATE,
      setup: NO_SETUP,
    },
    {
      id: 'formlabs-fuse1',
      name: 'Formlabs Fuse 1',
      maker: 'Formlabs',
      technology: 'SLS',
      buildVolume_mm: { value: [165, 165, 300], source: DS('Formlabs Fuse 1 (build volume 16.5 × 16.5 × 30 cm)') },
      layerHeight_mm: { value: [0.11, 0.11], source: DS('Formlabs Fuse 1 (layer thickness 110 µm)') },
      minFeature_mm: { value: 0.8, source: 'SLS design rule of thumb (walls under ~0.7–0.8 mm break in de-powdering); not a data-sheet figure' },
      materials: ['pa12'],
      machineRate_per_h: NO_RATE,
      setup: NO_SETUP,
    },
    {
      id: 'eos-formiga-p110',
      name: 'EOS FORMIGA P 110 Velocis',
      maker: 'EOS',
      technology: 'SLS',
      buildVolume_mm: { value: [200, 250, 330], source: DS('EOS FORMIGA P 110 Velocis (building volume 200 × 250 × 330 mm)') },
      layerHeight_mm: UNKNOWN('layer thickness options'),
      minFeature_mm: { value: 0.8, source: 'SLS design rule of thumb (walls under ~0.7–0.8 mm break in de-powdering); not a data-sheet figure' },
      materials: ['pa12'],
      machineRate_per_h: NO_RATE,
      setup: NO_SETUP,
    },
  ],
  materials: [
    {
      id: 'pla',
      name: 'PLA (Prusament PLA)',
      technology: 'FDM',
      density_g_cm3: { value: 1.24, source: DS('Prusament PLA technical data sheet (density 1.24 g/cm³)') },
      pricePerKg: NO_PRICE,
      biocompatible: { value: false, source: 'no biocompatibility certification claimed for the generic filament' },
      sterilisable: { value: false, source: 'PLA softens near 55–60 °C: not autoclavable' },
      temperature_C: { value: { nozzle: 215, bed: 60 }, source: 'Prusament PLA data sheet range (nozzle 215 ± 10 °C, bed 40–60 °C); the slicer uses these for the estimate' },
    },
    {
      id: 'petg',
      name: 'PETG (Prusament PETG)',
      technology: 'FDM',
      density_g_cm3: { value: 1.27, source: DS('Prusament PETG technical data sheet (density 1.27 g/cm³)') },
      pricePerKg: NO_PRICE,
      biocompatible: { value: false, source: 'no biocompatibility certification claimed for the generic filament' },
      sterilisable: UNKNOWN('sterilisation method'),
      temperature_C: { value: { nozzle: 240, bed: 85 }, source: "PrusaSlicer's Prusament PETG profile figures (nozzle 240 °C, bed 85 °C) as a rule of thumb; confirm with the spool's label" },
    },
    {
      id: 'formlabs-biomed-clear',
      name: 'Formlabs BioMed Clear Resin',
      technology: 'SLA',
      density_g_cm3: UNKNOWN('cured density'),
      pricePerKg: NO_PRICE,
      biocompatible: { value: true, source: DS('Formlabs BioMed Clear Resin (tested to ISO 10993 series and USP Class VI)') },
      sterilisable: { value: true, source: DS('Formlabs BioMed Clear Resin (compatible with common sterilisation methods: autoclave, EtO, gamma, e-beam)') },
    },
    {
      id: 'formlabs-grey',
      name: 'Formlabs Grey Resin',
      technology: 'SLA',
      density_g_cm3: UNKNOWN('cured density'),
      pricePerKg: NO_PRICE,
      biocompatible: { value: false, source: 'a general-purpose resin; no biocompatibility claim' },
      sterilisable: { value: false, source: 'a general-purpose resin; no sterilisation claim' },
    },
    {
      id: 'stratasys-med610',
      name: 'Stratasys MED610 (Biocompatible Clear)',
      technology: 'PolyJet',
      density_g_cm3: UNKNOWN('polymerised density'),
      pricePerKg: NO_PRICE,
      biocompatible: { value: true, source: DS('Stratasys MED610 (biocompatible for prolonged skin contact and short mucosal contact, ISO 10993 / USP Class VI)') },
      sterilisable: UNKNOWN('sterilisation method'),
    },
    {
      id: 'pa12',
      name: 'PA 12 (EOS PA 2200)',
      technology: 'SLS',
      density_g_cm3: { value: 0.93, source: DS('EOS PA 2200 (density, laser-sintered part, 930 kg/m³)') },
      pricePerKg: NO_PRICE,
      biocompatible: UNKNOWN('biocompatibility grade for the chosen powder'),
      sterilisable: UNKNOWN('sterilisation method'),
    },
  ],
};

/** A printer for a run: from the catalogue, or a custom build volume ("120x120x120"). */
export interface PrinterChoice {
  id: string;
  name: string;
  technology: Technology | 'unknown';
  buildVolume_mm: [number, number, number];
  minFeature_mm: number;
  /** Where each value came from. */
  source: string;
}

/** Looks a printer up by id or name (case-insensitive), or parses WxDxH in mm. */
export function resolvePrinter(spec: string, catalogue: PrintCatalogue = PRINT_CATALOGUE): PrinterChoice {
  const key = spec.trim().toLowerCase();
  const p = catalogue.printers.find((x) => x.id === key || x.name.toLowerCase() === key);
  if (p) {
    return {
      id: p.id,
      name: p.name,
      technology: p.technology,
      buildVolume_mm: [...p.buildVolume_mm.value],
      minFeature_mm: p.minFeature_mm.value,
      source: `catalogue ${catalogue.version}: ${p.buildVolume_mm.source}; minimum feature: ${p.minFeature_mm.source}`,
    };
  }
  const m = /^(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)$/.exec(key);
  if (m) {
    const v = [Number(m[1]), Number(m[2]), Number(m[3])] as [number, number, number];
    if (v.some((x) => !(x > 0))) throw usageError('BAD_PRINTER', `--printer ${spec}: every build volume side must be > 0 mm`);
    return { id: `custom-${v.join('x')}`, name: `custom ${v.join(' × ')} mm`, technology: 'unknown', buildVolume_mm: v, minFeature_mm: SPEC_MIN.value, source: `build volume given by the user; minimum feature: ${SPEC_MIN.source}` };
  }
  throw usageError('BAD_PRINTER', `--printer ${spec}: not a catalogue printer (${catalogue.printers.map((x) => x.id).join(', ')}) nor a build volume WxDxH in mm such as 120x120x120`);
}

export function resolveMaterial(spec: string, catalogue: PrintCatalogue = PRINT_CATALOGUE): MaterialSpec {
  const key = spec.trim().toLowerCase();
  const m = catalogue.materials.find((x) => x.id === key || x.name.toLowerCase() === key);
  if (!m) throw usageError('BAD_MATERIAL', `--material ${spec}: not in the catalogue (${catalogue.materials.map((x) => x.id).join(', ')})`);
  return m;
}

/** A catalogue that failed validation: `issues` gives each problem with its field path. */
export class CatalogueError extends ScanError {
  readonly issues: { path: string; message: string }[];
  constructor(file: string, issues: { path: string; message: string }[]) {
    super('BAD_CATALOGUE', `not a valid print catalogue: ${issues.map((i) => `${i.path || '(top)'}: ${i.message}`).join('; ')}`, { kind: 'input', file });
    this.name = 'CatalogueError';
    this.issues = issues;
  }
}

const sourced = <T extends z.ZodType>(value: T) => z.strictObject({ value, source: z.string().min(1, 'say where the value comes from') });
const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR').nullable();
const priced = z
  .strictObject({ value: z.number().nonnegative().nullable(), currency, source: z.string().min(1, 'say where the value comes from') })
  .refine((p) => p.value === null || p.currency !== null, { message: 'a price needs its currency', path: ['currency'] });
const technology = z.enum(TECHNOLOGIES);
const id = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');
const mm = z.number().positive().finite();

const printerSchema = z.strictObject({
  id,
  name: z.string().min(1),
  maker: z.string(),
  technology,
  buildVolume_mm: sourced(z.tuple([mm, mm, mm])),
  layerHeight_mm: sourced(z.tuple([mm, mm]).refine(([a, b]) => a <= b, 'finest first').nullable()),
  minFeature_mm: sourced(mm),
  materials: z.array(id),
  machineRate_per_h: priced,
  setup: priced,
  nozzle_mm: sourced(mm.nullable()).optional(),
});
const materialSchema = z.strictObject({
  id,
  name: z.string().min(1),
  technology,
  density_g_cm3: sourced(z.number().positive().max(25).nullable()),
  pricePerKg: priced,
  biocompatible: sourced(z.boolean().nullable()),
  sterilisable: sourced(z.boolean().nullable()),
  temperature_C: sourced(z.strictObject({ nozzle: z.number().min(100).max(500), bed: z.number().min(0).max(150) }).nullable()).optional(),
});
const catalogueSchema = z
  .strictObject({ version: z.string().min(1), printers: z.array(printerSchema), materials: z.array(materialSchema) })
  .superRefine((c, ctx) => {
    const dup = (xs: { id: string }[], what: 'printers' | 'materials'): void => {
      const seen = new Set<string>();
      xs.forEach((x, i) => {
        if (seen.has(x.id)) ctx.addIssue({ code: 'custom', path: [what, i, 'id'], message: `duplicate id ${x.id}` });
        seen.add(x.id);
      });
    };
    dup(c.printers, 'printers');
    dup(c.materials, 'materials');
    const mats = new Map(c.materials.map((m) => [m.id, m]));
    c.printers.forEach((p, i) =>
      p.materials.forEach((m, k) => {
        const mat = mats.get(m);
        if (!mat) ctx.addIssue({ code: 'custom', path: ['printers', i, 'materials', k], message: `no material ${m} in the catalogue` });
        else if (mat.technology !== p.technology) ctx.addIssue({ code: 'custom', path: ['printers', i, 'materials', k], message: `${m} is ${mat.technology}, the printer is ${p.technology}` });
      }),
    );
  });

/**
 * Checks a catalogue document (an org's edit, a --catalogue file) against the shape above:
 * every value with a source, prices with a currency, ids unique, each printer's materials
 * present and of its technology. Throws CatalogueError naming the file and each field path.
 */
export function validateCatalogue(doc: unknown, file: string): PrintCatalogue {
  const r = catalogueSchema.safeParse(doc);
  if (!r.success) throw new CatalogueError(file, r.error.issues.map((i) => ({ path: i.path.map((p, k) => (typeof p === 'number' ? `[${p}]` : `${k ? '.' : ''}${String(p)}`)).join(''), message: i.message })));
  return r.data as PrintCatalogue;
}

/** A catalogue printer by id or name (case-insensitive); usage error listing the ids otherwise. */
export function findPrinter(spec: string, catalogue: PrintCatalogue = PRINT_CATALOGUE): PrinterSpec {
  const key = spec.trim().toLowerCase();
  const p = catalogue.printers.find((x) => x.id === key || x.name.toLowerCase() === key);
  if (!p) throw usageError('BAD_PRINTER', `--printer ${spec}: not a catalogue printer (${catalogue.printers.map((x) => x.id).join(', ')})`);
  return p;
}

/** The material, checked against the printer: a usage error when the printer does not use it. */
export function materialFor(printer: PrinterSpec, spec: string, catalogue: PrintCatalogue = PRINT_CATALOGUE): MaterialSpec {
  const m = resolveMaterial(spec, catalogue);
  if (!printer.materials.includes(m.id)) throw usageError('MATERIAL_NOT_FOR_PRINTER', `--material ${spec}: ${printer.id} does not print ${m.id} (it uses ${printer.materials.join(', ')})`);
  return m;
}

/**
 * Why a segmentation came out empty, in words a user can act on. An empty label map
 * meshes to an empty mesh, which the printability gate refuses as "not printable … pass
 * --allow-open": true but useless advice (reported as a convert --crop run on the Philips
 * phantom whose box held only the head holder; table removal took 100 % of the mask).
 * The records already say which step emptied it; this reads them.
 */
import { inputError, type ScanError } from '../errors.js';
import type { LabelMap } from '../geometry/types.js';
import type { StageRecord } from './record.js';

export function isEmptyLabelMap(l: LabelMap): boolean {
  const d = l.data;
  for (let i = 0; i < d.length; i++) if (d[i] !== 0) return false;
  return true;
}

type Figures = Record<string, unknown>;
const num = (f: Figures | undefined, k: string): number | undefined => (typeof f?.[k] === 'number' ? (f[k] as number) : undefined);
const volume = (mm3: number): string => (mm3 >= 1000 ? `${Math.round(mm3 / 10) / 100} cm³` : `${Math.round(mm3 * 10) / 10} mm³`);

/** ' in the --crop box [lo)..[hi) (dims of dims)' when the records hold a crop. */
function cropText(records: StageRecord[]): string {
  const crop = records.find((r) => r.method === 'crop');
  const f = crop?.figures as Figures | undefined;
  const lo = f?.indexMin as number[] | undefined;
  const hi = f?.indexMaxExclusive as number[] | undefined;
  if (!lo || !hi) return '';
  const dims = (xs: unknown) => (Array.isArray(xs) ? xs.join('×') : '?');
  return ` in the crop box [${lo.join(',')})..[${hi.join(',')}) (${dims(f?.dimsAfter)} of ${dims(f?.dimsBefore)} voxels)`;
}

/** The step that left nothing, from the segmentation records (method first, then clean-up in order). */
function cause(records: StageRecord[], where: string): string {
  const table = records.find((r) => r.method === 'remove-table');
  const tf = table?.figures as Figures | undefined;
  // Most of it gone as table (a short slab: the body's ends are the scan's): the rest, small
  // pieces, then fell to --min-island, which is not what to change.
  const removed = num(tf, 'removedFraction') ?? 0;
  if (tf && removed >= 0.9 && (num(tf, 'removedVoxels') ?? 0) > 0) {
    const noBody = num(tf, 'body_mm3') === 0 ? `; no body (≥ ${String(table!.params.bodyThreshold_HU)} HU) was found${where ? ' there' : ''}` : '';
    const howMuch = removed === 1 ? 'all of it' : `${Math.round(removed * 1000) / 10} % of it (the rest was pieces smaller than --min-island)`;
    return (
      `the segmentation found ${volume(num(tf, 'removed_mm3')! / removed)}${where}, but table removal removed ${howMuch} ` +
      `(${String(tf.componentsRemoved)} component(s) lying outside the body${noBody}: scanner table / head holder). ` +
      `${where ? 'Move or widen --crop to include the anatomy, or pass' : 'Pass'} --keep-table if it is bone`
    );
  }
  const method = records.find((r) => r.stage === 'segment');
  const selected = num(method?.figures as Figures | undefined, 'voxels_selected');
  if (selected === 0) {
    const lo = method!.params.lo_HU;
    const hi = method!.params.hi_HU;
    const range = typeof lo === 'number' ? ` in ${lo}..${String(hi)} HU` : '';
    return `no voxel${range}${where}: check the threshold${where ? ' and the --crop box' : ''}`;
  }
  const comp = records.find((r) => r.method === 'components');
  const cf = comp?.figures as Figures | undefined;
  if ((num(cf, 'componentsFound') ?? 0) > 0 && num(cf, 'componentsKept') === 0) {
    return `every component${where} is smaller than --min-island (${String(comp!.params.minIsland_mm3)} mm³)`;
  }
  const steps = records.filter((r) => r.stage === 'segment').map((r) => r.method);
  return `no voxel is left${where} after ${steps.join(' → ') || 'segmentation'}`;
}

/** The input error for model `name` whose label map is empty: names the step that emptied it. */
export function emptySegmentationError(name: string, records: StageRecord[]): ScanError {
  return inputError('EMPTY_SEGMENTATION', `${name}: nothing to model: ${cause(records, cropText(records))}`);
}

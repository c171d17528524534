/**
 * The standard's data dictionary (PS3.6, through dcmjs's copy): the VR of a public tag. The
 * anonymiser needs it where a file does not say the VR (implicit VR, or VR UN) and to tell a
 * standard attribute from an unknown one, which it removes (see retain.ts).
 */
import dcmjs from 'dcmjs';

const dictionary = (dcmjs as any).data.DicomMetaDictionary.dictionary as Record<string, { vr?: string } | undefined>;
const cache = new Map<number, string | null>();
const vmCache = new Map<number, string | null>();

/** dcmjs's pseudo-VRs for attributes whose VR depends on the pixel module: the wider one. */
const PSEUDO: Record<string, string> = { ox: 'OW', xs: 'US', lo: 'US' };

/** The VR the standard gives a public tag (the first of several), or undefined for an unknown or private tag. */
export function dictionaryVr(tag: number): string | undefined {
  const t = tag >>> 0;
  let vr = cache.get(t);
  if (vr === undefined) {
    const hex = t.toString(16).toUpperCase().padStart(8, '0');
    const raw = (t >>> 16) & 1 ? undefined : dictionary[`(${hex.slice(0, 4)},${hex.slice(4)})`]?.vr;
    const first = typeof raw === 'string' ? raw.split(/\s+or\s+|\|/)[0]!.trim() : '';
    vr = PSEUDO[first] ?? (/^[A-Z]{2}$/.test(first) ? first : first ? 'UN' : null);
    cache.set(t, vr);
  }
  return vr ?? undefined;
}

/** The value multiplicity the standard gives a public tag ('1', '3', '1-n' …), or undefined. */
export function dictionaryVm(tag: number): string | undefined {
  const t = tag >>> 0;
  let vm = vmCache.get(t);
  if (vm === undefined) {
    const hex = t.toString(16).toUpperCase().padStart(8, '0');
    const raw = (t >>> 16) & 1 ? undefined : (dictionary[`(${hex.slice(0, 4)},${hex.slice(4)})`] as { vm?: unknown } | undefined)?.vm;
    vm = typeof raw === 'string' ? raw : null;
    vmCache.set(t, vm);
  }
  return vm ?? undefined;
}

/**
 * Named HU threshold ranges, as users of InVesalius 3 and Materialise Mimics know them.
 * Source: InVesalius 3 `presets` (the "Threshold" presets it shares with Mimics'
 * predefined thresholds), gathered in shared/FIELD-NOTES.md. Ranges are inclusive.
 *
 * A fixed low bone threshold (226 HU) sits below halfway between soft tissue (~40 HU)
 * and cortical bone (>1000 HU): thin walls come out thicker (a 6 mm synthetic wall
 * gains about +7 % volume). Prefer the automatic threshold where accuracy matters.
 */
import { usageError } from '../errors.js';

export interface ThresholdPreset {
  name: string;
  lo_HU: number;
  hi_HU: number;
  description: string;
  source: string;
}

const INV = 'InVesalius 3 / Mimics threshold presets (FIELD-NOTES.md)';

/** Upper bound of the 12-bit CT scale (InVesalius and Mimics use it as "no upper limit"). */
export const CT_MAX_HU = 3071;

export const THRESHOLD_PRESETS: readonly ThresholdPreset[] = [
  { name: 'bone', lo_HU: 226, hi_HU: 3071, description: 'bone (all)', source: INV },
  { name: 'compact-bone-adult', lo_HU: 662, hi_HU: 1988, description: 'compact (cortical) bone, adult', source: INV },
  { name: 'compact-bone-child', lo_HU: 586, hi_HU: 2198, description: 'compact (cortical) bone, child', source: INV },
  { name: 'spongial-bone-adult', lo_HU: 148, hi_HU: 661, description: 'spongial (cancellous) bone, adult', source: INV },
  { name: 'enamel-adult', lo_HU: 1553, hi_HU: 2850, description: 'tooth enamel, adult', source: INV },
  { name: 'soft-tissue', lo_HU: -700, hi_HU: 225, description: 'soft tissue', source: INV },
];

export function presetNames(): string[] {
  return THRESHOLD_PRESETS.map((p) => p.name);
}

export function getPreset(name: string): ThresholdPreset {
  const p = THRESHOLD_PRESETS.find((x) => x.name === name.toLowerCase());
  if (!p) throw usageError('UNKNOWN_PRESET', `unknown threshold preset "${name}" (known: ${presetNames().join(', ')})`);
  return p;
}

/** Note added to a record whose lower threshold is a fixed low bone value. */
export const LOW_BONE_THRESHOLD_NOTE =
  'a fixed low bone threshold (e.g. 226 HU) lies below halfway between soft tissue and cortical bone: thin walls are biased outward (a 6 mm wall gains about +7 % volume)';

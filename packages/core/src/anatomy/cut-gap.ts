/**
 * A prior on where two neighbours of a stack (the vertebral column) meet: at an intervertebral disc, where the column
 * has the least bone, so the fewest bone faces join the pieces on one side to those on the other. The solver's cut
 * move (solve-icm.ts) otherwise picks the level by the total log-probability alone, and where the pieces score the
 * same for both structures that total barely changes from one level to the next (example_ct, segment mask: T/L
 * boundaries 12 mm apart differed by 0.018), so a boundary through a vertebral body was as likely as one at a disc.
 * The term is small (GAP_WEIGHT) so that it decides such near-ties and nothing else.
 */
import type { Contact } from './regions.js';

/**
 * Log-probability of a boundary crossed by as many bone faces as the pair's candidate boundaries on average (none
 * crossed: 0; linear in the count). Well under what a misplaced vertebra pays in unary and relation terms (a unit
 * or more), above the hundredths that separate levels where those terms tie. On example_ct's segment mask 0.05 left
 * the T/L boundary through L1 and 0.1 to 1 all gave the same labelling; the other masks did not change at 0.25.
 */
export const GAP_WEIGHT = 0.25;

/** Contacts between two regions both in `rs` (a stack pair's regions): the bone that can join one side to the other. */
export function pairContacts(rs: number[], contacts: Contact[]): Contact[] {
  const inPair = new Set(rs);
  return contacts.filter((c) => inPair.has(c.a) && inPair.has(c.b));
}

/** Bone faces between regions that `label` puts on different structures. */
export function crossFaces(contacts: Contact[], label: Int32Array): number {
  let t = 0;
  for (const c of contacts) if (label[c.a] !== label[c.b]) t += c.faces;
  return t;
}

/** Gap score (≤ 0) of each boundary from its crossing faces, relative to the mean over the candidates. */
export function gapScores(cross: number[]): number[] {
  const mean = cross.reduce((a, b) => a + b, 0) / Math.max(1, cross.length);
  return cross.map((x) => (mean > 0 ? (-GAP_WEIGHT * x) / mean : 0));
}

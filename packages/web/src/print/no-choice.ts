/**
 * What would help when the automatic choice finds no printer and material (core choosePrint's
 * record: every pair refused, each with its reasons). Pure: the quote panel shows these as the
 * technician's next steps, so they are read from the refusal codes and prepare's verdict
 * (partsNeeded), never from the messages' wording.
 */
import { MATERIAL_NEEDS, NEED_REFUSAL } from '@scan2print/core';
import type { CatalogueVersion, ChoiceVerdict, MaterialNeed } from './types.js';

/** A refused pair as the record has it (with what prepare would do: partsNeeded). */
export type RefusedPair = ChoiceVerdict;

export interface PairId {
  printer: string;
  material: string;
}

/** A requirement of the request that refused pairs (core's REQUIREMENT_CODES). */
export type Requirement = MaterialNeed | 'technology';
/** Each requirement's refusal code, read back: core's NEED_REFUSAL, and TECHNOLOGY. */
const REQUIREMENT_OF: Record<string, Requirement> = {
  ...Object.fromEntries(MATERIAL_NEEDS.map((n) => [NEED_REFUSAL[n], n])),
  TECHNOLOGY: 'technology',
};
const REQUIREMENTS: readonly Requirement[] = [...MATERIAL_NEEDS, 'technology'];

export type Remedy =
  /** A requirement refused these pairs; `without` could print it were that requirement dropped. */
  | { kind: 'requirement'; requirement: Requirement; printers: string[]; materials: string[]; pairs: number; without: PairId[] }
  /** Several requirements together refused every pair; dropping them all frees `without`. */
  | { kind: 'requirements'; requirements: Requirement[]; without: PairId[] }
  /** Another side down the model fits whole on these printers (prepare orients it). */
  | { kind: 'turn'; printers: string[]; pairs: number }
  /** Prepare would cut it into `parts` for these printers. */
  | { kind: 'cut'; parts: number; printers: string[]; pairs: number }
  /** Too small even for parts with connectors. */
  | { kind: 'too-small'; printers: string[]; pairs: number }
  /** Too much of the surface is under these printers' minimum feature. */
  | { kind: 'thin'; printers: string[]; pairs: number };

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const uniq = (xs: string[]): string[] => [...new Set(xs)];
const codesOf = (v: RefusedPair): string[] => v.refusals.map((r) => r.code);
const requirementsOf = (v: RefusedPair): Requirement[] => uniq(codesOf(v).flatMap((c) => (REQUIREMENT_OF[c] ? [REQUIREMENT_OF[c]] : []))) as Requirement[];

/** Pairs whose only refusals are in `codes`: dropping those would let them print the model. */
function freedBy(refused: RefusedPair[], codes: string[]): PairId[] {
  return refused.filter((v) => v.refusals.length > 0 && v.refusals.every((r) => codes.includes(r.code))).map(({ printer, material }) => ({ printer, material }));
}

function codeFor(req: Requirement): string {
  return Object.keys(REQUIREMENT_OF).find((c) => REQUIREMENT_OF[c] === req)!;
}

/** The requirements the refusals show were asked for (a need is refused only when asked). */
export function requirementsAsked(refused: RefusedPair[]): Requirement[] {
  const seen = new Set(refused.flatMap(requirementsOf));
  return REQUIREMENTS.filter((r) => seen.has(r));
}

/**
 * What would help, most useful first: each requirement that refused pairs (and what dropping it
 * frees), all of them together when no single one frees a pair; then the model's own problems —
 * another side down, cut into the fewest parts first, walls too thin, too small even for parts.
 */
export function remediesOf(refused: RefusedPair[]): Remedy[] {
  const out: Remedy[] = [];
  const asked = requirementsAsked(refused);
  for (const requirement of asked) {
    const hit = refused.filter((v) => requirementsOf(v).includes(requirement));
    out.push({
      kind: 'requirement', requirement, pairs: hit.length, without: freedBy(refused, [codeFor(requirement)]),
      printers: uniq(hit.map((v) => v.printer)), materials: uniq(hit.map((v) => v.material)),
    });
  }
  if (asked.length > 1 && out.every((r) => r.kind === 'requirement' && r.without.length === 0)) {
    const without = freedBy(refused, asked.map(codeFor));
    if (without.length > 0) out.push({ kind: 'requirements', requirements: asked, without });
  }
  // By printer: the fit and the walls depend on the printer, not the material.
  const large = refused.filter((v) => codesOf(v).includes('TOO_LARGE'));
  const byParts = new Map<number | null, RefusedPair[]>();
  for (const v of large) byParts.set(v.partsNeeded ?? null, [...(byParts.get(v.partsNeeded ?? null) ?? []), v]);
  const counts = [...byParts.keys()].filter((n): n is number => n !== null).sort((a, b) => a - b);
  for (const parts of counts) {
    const vs = byParts.get(parts)!;
    const printers = uniq(vs.map((v) => v.printer));
    out.push(parts === 1 ? { kind: 'turn', printers, pairs: vs.length } : { kind: 'cut', parts, printers, pairs: vs.length });
  }
  const thin = refused.filter((v) => codesOf(v).includes('TOO_THIN'));
  if (thin.length > 0) out.push({ kind: 'thin', printers: uniq(thin.map((v) => v.printer)), pairs: thin.length });
  const small = byParts.get(null);
  if (small) out.push({ kind: 'too-small', printers: uniq(small.map((v) => v.printer)), pairs: small.length });
  return out;
}

/** How far a pair is from printing: fewer reasons first, then fewer parts (another side down before a cut). */
function distance(v: RefusedPair): [number, number] {
  const large = codesOf(v).includes('TOO_LARGE');
  return [v.refusals.length, !large ? 0 : v.partsNeeded === null || v.partsNeeded === undefined ? Infinity : v.partsNeeded];
}

/** The refused pairs closest to printing first (ties in the record's order: printer id, then material id). */
export function closestFirst(refused: RefusedPair[]): RefusedPair[] {
  return [...refused].sort((a, b) => {
    const [ra, pa] = distance(a);
    const [rb, pb] = distance(b);
    return ra - rb || (pa === pb ? 0 : pa < pb ? -1 : 1) || cmp(a.printer, b.printer) || cmp(a.material, b.material);
  });
}

export interface Names {
  printer(id: string): string;
  material(id: string): string;
}

/** The catalogue's names for printer and material ids (the id itself when the catalogue lacks it). */
export function namesIn(cat: CatalogueVersion): Names {
  return {
    printer: (id) => cat.catalogue.printers.find((p) => p.id === id)?.name ?? id,
    material: (id) => cat.catalogue.materials.find((m) => m.id === id)?.name ?? id,
  };
}

/** "a", "a and b", "a, b and c". */
export function listText(xs: readonly string[]): string {
  if (xs.length <= 1) return xs.join('');
  return `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

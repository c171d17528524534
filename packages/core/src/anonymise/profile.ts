/**
 * The PS3.15 Basic Application Confidentiality Profile as a lookup: tag → the action we apply.
 *
 * The table (profile-table.generated.ts) comes from the standard's Table E.1-1. Compound codes
 * depend on the attribute's Type in the IOD, which a generic tool does not know for every IOD
 * (the same attribute is Type 3 in CT Image and Type 1 in Enhanced CT or SEG). We therefore
 * choose the alternative that keeps every IOD conformant, i.e. the one for the strictest Type;
 * every alternative de-identifies equally (a dummy or an empty value holds no identity):
 *   X/Z → Z          (empty, present: valid where Type 2)
 *   X/D, Z/D, X/Z/D → D   (dummy: valid where Type 1; a dummy sequence is an empty one, see below)
 *   X/Z/U* → U*      (keep the sequence, replace the UIDs it holds consistently, clean its items)
 *   C (clean, only in the options' columns) → D.
 * D on a sequence (e.g. Content Sequence, Graphic Annotation Sequence) yields an empty sequence:
 * a generic tool cannot build a meaningful dummy item, and keeping cleaned items would keep
 * free-text values the table does not list.
 * Masks: (50xx,xxxx) curve data, (60xx,3000) overlay data and (60xx,4000) overlay comments are X;
 * we remove the whole overlay group 60xx (rows, columns, origin …) with its data, because an
 * Overlay Plane without Overlay Data is not conformant. Private (odd) groups are removed.
 */
import { PROFILE_TABLE, SQ_TAGS_HEX, type ProfileTableRow } from './profile-table.generated.js';

/** The action actually applied: X remove, Z empty, D dummy, U new UID, K keep, R = U* (recurse, remap UIDs). */
export type AppliedAction = 'X' | 'Z' | 'D' | 'U' | 'K' | 'U*';

export interface ProfileEntry {
  tag: number;
  /** Basic Profile code as in the table, e.g. "X/Z/D". */
  code: string;
  action: AppliedAction;
  vr: string;
  name: string;
}

export function resolveAction(code: string): AppliedAction {
  switch (code) {
    case 'X':
    case 'Z':
    case 'D':
    case 'U':
    case 'K':
      return code;
    case 'C':
      return 'D';
    case 'X/Z':
      return 'Z';
    case 'X/D':
    case 'Z/D':
    case 'X/Z/D':
      return 'D';
    case 'X/Z/U*':
      return 'U*';
    default:
      // An unknown code in a future table: remove (fail safe for confidentiality).
      return 'X';
  }
}

let byTag: Map<number, ProfileEntry> | undefined;
let sqTags: Set<number> | undefined;

/** Exact-tag rows of the table (masks and the private-attribute row are handled by `actionFor`). */
export function profileEntries(): Map<number, ProfileEntry> {
  if (!byTag) {
    byTag = new Map();
    for (const row of PROFILE_TABLE as readonly ProfileTableRow[]) {
      const [id, code, vr, name] = row;
      if (!/^[0-9a-f]{8}$/.test(id)) continue;
      const tag = parseInt(id, 16) >>> 0;
      byTag.set(tag, { tag, code, action: resolveAction(code), vr, name });
    }
  }
  return byTag;
}

export function isSequenceTag(tag: number): boolean {
  if (!sqTags) {
    sqTags = new Set();
    for (let i = 0; i + 8 <= SQ_TAGS_HEX.length; i += 8) sqTags.add(parseInt(SQ_TAGS_HEX.slice(i, i + 8), 16) >>> 0);
  }
  return sqTags.has(tag >>> 0);
}

export type MaskRule = 'private' | 'curve' | 'overlay' | 'group-length' | 'command';

/**
 * Rules for tag ranges: private groups, curves (50xx), overlays (60xx), group lengths (gggg,0000),
 * and the command group (0000,xxxx): a DIMSE message's fields (ErrorComment, MoveOriginator AE
 * title …) have no place in a stored file, so the whole group goes, its length included.
 */
export function maskRuleFor(tag: number): MaskRule | undefined {
  const group = tag >>> 16;
  const element = tag & 0xffff;
  if (group === 0) return 'command';
  if (group & 1) return 'private';
  if (element === 0 && group !== 0x0002) return 'group-length';
  if (group >= 0x5000 && group <= 0x501e) return 'curve';
  if (group >= 0x6000 && group <= 0x601e) return 'overlay';
  return undefined;
}

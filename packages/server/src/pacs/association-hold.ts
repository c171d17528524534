/**
 * When a study may still be receiving instances from the associations that sent it (the
 * StudyActivity the listener gives the StudyAssembler): bytes arriving on a connection whose
 * last instance was of the study, or that connection still open. A sender pauses between two
 * instances (reading its own disk, a loaded machine): with only the bytes counted, a pause
 * longer than the quiet time split one study into two receptions. An open association holds
 * the study until `holdMs` after its last instance (a sender that keeps an idle association
 * open, or sends C-ECHOs on it, must not hold a study for ever; pduTimeout closes an idle one).
 */
export interface AssociationActivity {
  /** The study of the last instance added from this association. */
  lastStudy?: string;
  /** When bytes last arrived on it, and when its last instance was added (Date.now() ms, 0 for never). */
  lastDataAt: number;
  lastInstanceAt: number;
  /** The association was released (A-RELEASE): nothing more will come on it. */
  released: boolean;
}

/** The time (ms) until which study `key` counts as still arriving; 0 when no open association sent it last. */
export function heldUntil(associations: Iterable<AssociationActivity>, key: string, now: number, holdMs: number): number {
  let at = 0;
  for (const a of associations) {
    if (a.lastStudy !== key) continue;
    at = Math.max(at, a.lastDataAt);
    if (!a.released) at = Math.max(at, Math.min(now, a.lastInstanceAt + holdMs));
  }
  return at;
}

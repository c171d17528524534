/**
 * The PACS search panel's state, kept pure so it is tested without a browser. Studies and
 * series listed are of one PACS destination: picking another clears them, and an answer
 * that arrives for the destination no longer picked is dropped. Otherwise the page went on
 * showing the old PACS's series, and "Series" or "Import" then asked the new PACS for a
 * study it may not hold (or imported from the wrong one).
 */
import type { RetrieveResult, SeriesMatch, StudyMatch } from './types.js';

export interface SearchState {
  /** The destination picked; the listings below are of it. */
  dest: string;
  studies: StudyMatch[] | null;
  /** The study whose series are shown (series null while they are being listed). */
  open: { study: string; series: SeriesMatch[] | null } | null;
  /** The last import's answer: an action the user took, kept when the destination changes. */
  imported: RetrieveResult | null;
  error: string | null;
}

export type SearchAction =
  | { type: 'destination'; dest: string }
  | { type: 'searching' }
  | { type: 'studies'; dest: string; studies: StudyMatch[] }
  | { type: 'opening'; study: string }
  | { type: 'close' }
  | { type: 'series'; dest: string; study: string; series: SeriesMatch[] }
  | { type: 'importing' }
  | { type: 'imported'; result: RetrieveResult }
  /** `dest`: a listing's failure, dropped once another destination is picked; none for an import's. */
  | { type: 'error'; message: string; dest?: string; closeOpen?: boolean };

export function initialSearch(dest: string): SearchState {
  return { dest, studies: null, open: null, imported: null, error: null };
}

export function searchReducer(s: SearchState, a: SearchAction): SearchState {
  switch (a.type) {
    case 'destination':
      // The import's answer stays: it says what became of something the user did.
      return a.dest === s.dest ? s : { ...initialSearch(a.dest), imported: s.imported };
    case 'searching':
      return { ...s, studies: null, open: null, imported: null, error: null };
    case 'studies':
      return a.dest === s.dest ? { ...s, studies: a.studies } : s;
    case 'opening':
      return { ...s, open: { study: a.study, series: null }, error: null };
    case 'close':
      return { ...s, open: null };
    case 'series':
      // Only into the study still waiting for them, of the destination still picked.
      return a.dest === s.dest && s.open?.study === a.study && s.open.series === null ? { ...s, open: { study: a.study, series: a.series } } : s;
    case 'importing':
      return { ...s, imported: null, error: null };
    case 'imported':
      return { ...s, imported: a.result };
    case 'error':
      if (a.dest !== undefined && a.dest !== s.dest) return s;
      return { ...s, error: a.message, ...(a.closeOpen ? { open: null } : {}) };
  }
}

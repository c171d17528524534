/**
 * The PACS search panel's state, kept pure so it is tested without a browser. Studies and
 * series listed are of one PACS destination: picking another clears them, and an answer
 * that arrives for the destination no longer picked is dropped. Otherwise the page went on
 * showing the old PACS's series, and "Series" or "Import" then asked the new PACS for a
 * study it may not hold (or imported from the wrong one). A search waiting for its answer is
 * the destination's too: picking another ends the wait, so a PACS that never answers (the
 * server gives up after 30 s) does not hold the form, and only the answer of the search
 * still waiting is taken (not one of an earlier search that was given up). The destination
 * picked is one of those configured: when it is removed, the first one left is picked (the
 * one the select shows; before, the page went on searching the removed one: 404).
 */
import type { RetrieveResult, SeriesMatch, StudyMatch } from './types.js';

export interface SearchState {
  /** The destination picked; the listings below are of it. */
  dest: string;
  studies: StudyMatch[] | null;
  /** The search of `dest` waiting for its answer (the page numbers them), or null. */
  searching: number | null;
  /** The study whose series are shown (series null while they are being listed). */
  open: { study: string; series: SeriesMatch[] | null } | null;
  /** The last import's answer: an action the user took, kept when the destination changes. */
  imported: RetrieveResult | null;
  error: string | null;
}

export type SearchAction =
  | { type: 'destination'; dest: string }
  /** The destinations configured now (their ids, in the select's order). */
  | { type: 'destinations'; ids: string[] }
  | { type: 'searching'; search: number }
  | { type: 'studies'; dest: string; search: number; studies: StudyMatch[] }
  | { type: 'opening'; study: string }
  | { type: 'close' }
  | { type: 'series'; dest: string; study: string; series: SeriesMatch[] }
  | { type: 'importing' }
  | { type: 'imported'; result: RetrieveResult }
  /**
   * `dest`: a listing's failure, dropped once another destination is picked; none for an
   * import's. `search`: the failure of that search, taken while it is the one waiting.
   */
  | { type: 'error'; message: string; dest?: string; closeOpen?: boolean; search?: number };

export function initialSearch(dest: string): SearchState {
  return { dest, studies: null, searching: null, open: null, imported: null, error: null };
}

export function searchReducer(s: SearchState, a: SearchAction): SearchState {
  switch (a.type) {
    case 'destination':
      // The import's answer stays: it says what became of something the user did.
      return a.dest === s.dest ? s : { ...initialSearch(a.dest), imported: s.imported };
    case 'destinations':
      // Kept while configured; removed, the select shows the first one left, and that is the one searched.
      return a.ids.includes(s.dest) || a.ids.length === 0 ? s : searchReducer(s, { type: 'destination', dest: a.ids[0]! });
    case 'searching':
      return { ...s, studies: null, searching: a.search, open: null, imported: null, error: null };
    case 'studies':
      return a.dest === s.dest && a.search === s.searching ? { ...s, studies: a.studies, searching: null } : s;
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
      if ((a.dest !== undefined && a.dest !== s.dest) || (a.search !== undefined && a.search !== s.searching)) return s;
      return { ...s, error: a.message, ...(a.closeOpen ? { open: null } : {}), ...(a.search !== undefined ? { searching: null } : {}) };
  }
}

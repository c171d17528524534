import { describe, expect, it } from 'vitest';
import { initialSearch, searchReducer, type SearchAction, type SearchState } from './search-state.js';
import type { RetrieveResult, SeriesMatch, StudyMatch } from './types.js';

const study = (uid: string): StudyMatch => ({
  studyInstanceUid: uid, accessionNumber: 'ACC-1', studyDate: '20260115', studyTime: null, studyDescription: null, modalities: ['CT'], series: 1, instances: 28,
});
const series = (study: string, uid: string): SeriesMatch => ({ studyInstanceUid: study, seriesInstanceUid: uid, seriesNumber: 1, modality: 'CT', seriesDescription: null, instances: 28 });
const run = (s: SearchState, ...actions: SearchAction[]) => actions.reduce(searchReducer, s);

describe('PACS search state', () => {
  it('picking another destination clears the studies and the open series of the one before', () => {
    const shown = run(
      initialSearch('pacs-a'),
      { type: 'searching', search: 1 },
      { type: 'studies', dest: 'pacs-a', search: 1, studies: [study('1.2.3')] },
      { type: 'opening', study: '1.2.3' },
      { type: 'series', dest: 'pacs-a', study: '1.2.3', series: [series('1.2.3', '1.2.3.4')] },
    );
    expect(shown.open?.series).toHaveLength(1);
    const after = searchReducer(shown, { type: 'destination', dest: 'pacs-b' });
    expect(after).toEqual({ dest: 'pacs-b', studies: null, searching: null, open: null, imported: null, error: null });
    // Picking the same destination again keeps what is shown.
    expect(searchReducer(shown, { type: 'destination', dest: 'pacs-a' })).toBe(shown);
  });

  it('drops a listing or its failure that arrives for the destination no longer picked', () => {
    const waiting = run(initialSearch('pacs-a'), { type: 'searching', search: 1 }, { type: 'studies', dest: 'pacs-a', search: 1, studies: [study('1.2.3')] }, { type: 'opening', study: '1.2.3' });
    const switched = searchReducer(waiting, { type: 'destination', dest: 'pacs-b' });
    expect(searchReducer(switched, { type: 'series', dest: 'pacs-a', study: '1.2.3', series: [series('1.2.3', '1.2.3.4')] })).toBe(switched);
    expect(searchReducer(switched, { type: 'studies', dest: 'pacs-a', search: 1, studies: [study('9.9')] })).toBe(switched);
    expect(searchReducer(switched, { type: 'error', dest: 'pacs-a', message: 'The search failed' })).toBe(switched);
    // The destination picked now: taken.
    const searched = searchReducer(switched, { type: 'searching', search: 2 });
    expect(searchReducer(searched, { type: 'studies', dest: 'pacs-b', search: 2, studies: [study('7.7')] }).studies).toEqual([study('7.7')]);
  });

  it('keeps an import\'s answer and failure across a change of destination: they say what became of the user\'s import', () => {
    const result: RetrieveResult = { via: 'c-move', instances: 28, failed: 0, caseId: 'case-1' };
    const done = run(initialSearch('pacs-a'), { type: 'importing' }, { type: 'imported', result }, { type: 'destination', dest: 'pacs-b' });
    expect(done.imported).toEqual(result);
    const failed = run(initialSearch('pacs-a'), { type: 'destination', dest: 'pacs-b' }, { type: 'error', message: 'Not imported: PACS_IMPORT_REFUSED' });
    expect(failed.error).toBe('Not imported: PACS_IMPORT_REFUSED');
  });

  it('a series listing that failed closes the study; series arrive only into the study still waiting', () => {
    const opening = run(initialSearch('pacs-a'), { type: 'opening', study: '1.2.3' });
    expect(searchReducer(opening, { type: 'error', dest: 'pacs-a', message: 'The series could not be listed', closeOpen: true })).toMatchObject({ open: null, error: 'The series could not be listed' });
    const other = searchReducer(opening, { type: 'opening', study: '4.5.6' });
    expect(searchReducer(other, { type: 'series', dest: 'pacs-a', study: '1.2.3', series: [] })).toBe(other);
  });

  it('a search waiting on a PACS that does not answer ends when another destination is picked; its late answer or failure is dropped', () => {
    const waiting = run(initialSearch('silent'), { type: 'searching', search: 1 });
    expect(waiting.searching).toBe(1);
    const switched = searchReducer(waiting, { type: 'destination', dest: 'pacs-a' });
    expect(switched.searching).toBeNull();
    expect(searchReducer(switched, { type: 'error', dest: 'silent', search: 1, message: 'The search failed: timed out' })).toBe(switched);
    // Back on the silent PACS and searching again: the first search's failure is not the second's.
    const again = run(switched, { type: 'destination', dest: 'silent' }, { type: 'searching', search: 2 });
    expect(searchReducer(again, { type: 'error', dest: 'silent', search: 1, message: 'The search failed: timed out' })).toBe(again);
    expect(searchReducer(again, { type: 'studies', dest: 'silent', search: 1, studies: [study('9.9')] })).toBe(again);
    const failed = searchReducer(again, { type: 'error', dest: 'silent', search: 2, message: 'The search failed: timed out' });
    expect(failed).toMatchObject({ searching: null, error: 'The search failed: timed out' });
    // Another failure (a series listing) leaves a waiting search waiting.
    expect(searchReducer(again, { type: 'error', dest: 'silent', message: 'The series could not be listed' }).searching).toBe(2);
  });

  it('a destination removed while picked: the first one left is picked, its listings cleared; the import\'s answer stays', () => {
    const result: RetrieveResult = { via: 'c-move', instances: 28, failed: 0, caseId: 'case-1' };
    const shown = run(
      initialSearch('pacs-a'),
      { type: 'destination', dest: 'pacs-b' },
      { type: 'searching', search: 1 },
      { type: 'studies', dest: 'pacs-b', search: 1, studies: [study('1.2.3')] },
      { type: 'imported', result },
    );
    expect(searchReducer(shown, { type: 'destinations', ids: ['pacs-a', 'pacs-b'] })).toBe(shown);
    expect(searchReducer(shown, { type: 'destinations', ids: ['pacs-a', 'pacs-c'] })).toEqual({ ...initialSearch('pacs-a'), imported: result });
  });
});

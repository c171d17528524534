/**
 * The PACS page's search panel (route /pacs): search a destination by accession number or
 * study date, open a study to list its series, import one as a new case. Its state is
 * search-state.ts's: listings, and a search waiting for its answer, belong to the destination
 * picked and are dropped when it changes (or is removed). Rendered by pages/PacsPage.tsx.
 */
import { useEffect, useReducer, useRef, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { importSeries, searchStudies, seriesOf } from './api.js';
import { canImport, dateQuery, dicomDate } from './format.js';
import { initialSearch, searchReducer } from './search-state.js';
import { DestinationSelect } from './DestinationSelect.js';
import type { PacsDestination, RetrieveResult, SeriesMatch, StudyMatch } from './types.js';

export function PacsSearch({ destinations, role }: { destinations: PacsDestination[]; role: string }) {
  const [state, dispatch] = useReducer(searchReducer, destinations[0]!.id, initialSearch);
  const { dest, studies, searching, open, error, imported } = state;
  const [accession, setAccession] = useState('');
  const [date, setDate] = useState('');
  /** What the import under way says (it goes on when the destination changes: it makes a case). */
  const [importing, setImporting] = useState<string | null>(null);
  const searches = useRef(0);

  // A destination removed on this page: the select shows another, so that one is searched.
  useEffect(() => dispatch({ type: 'destinations', ids: destinations.map((d) => d.id) }), [destinations]);

  async function search(e: FormEvent) {
    e.preventDefault();
    const d = dateQuery(date);
    if (!d.ok) return dispatch({ type: 'error', message: `Date: ${d.why}` });
    if (!accession.trim() && !d.value) return dispatch({ type: 'error', message: 'Give an accession number or a study date.' });
    const n = ++searches.current;
    dispatch({ type: 'searching', search: n });
    try {
      dispatch({ type: 'studies', dest, search: n, studies: await searchStudies(dest, { ...(accession.trim() ? { accession: accession.trim() } : {}), ...(d.value ? { date: d.value } : {}) }) });
    } catch (err) {
      dispatch({ type: 'error', dest, search: n, message: `The search failed: ${(err as Error).message}` });
    }
  }

  async function openStudy(uid: string) {
    if (open?.study === uid) return dispatch({ type: 'close' });
    dispatch({ type: 'opening', study: uid });
    try {
      dispatch({ type: 'series', dest, study: uid, series: await seriesOf(dest, uid) });
    } catch (err) {
      dispatch({ type: 'error', dest, message: `The series could not be listed: ${(err as Error).message}`, closeOpen: true });
    }
  }

  async function importOne(study: string, series: SeriesMatch) {
    setImporting(`Importing series ${series.seriesNumber ?? ''} (${series.instances ?? '?'} images)… the case appears once the PACS has sent every image`);
    dispatch({ type: 'importing' });
    try {
      dispatch({ type: 'imported', result: await importSeries(dest, study, series.seriesInstanceUid) });
    } catch (err) {
      dispatch({ type: 'error', message: `Not imported: ${(err as Error).message}` });
    } finally {
      setImporting(null);
    }
  }

  return (
    <section aria-labelledby="pacs-search-h">
      <h2 id="pacs-search-h">Search</h2>
      <form className="pacs-search" onSubmit={search} aria-label="Search the PACS">
        <DestinationSelect label="PACS" destinations={destinations} value={dest} onChange={(id) => dispatch({ type: 'destination', dest: id })} testId="pacs-search-destination" />
        <label>
          Accession number
          <input value={accession} onChange={(e) => setAccession(e.target.value)} maxLength={64} autoComplete="off" data-testid="pacs-accession" />
        </label>
        <label>
          Study date
          <input value={date} onChange={(e) => setDate(e.target.value)} placeholder="2026-01-15 or 2026-01-01..2026-01-31" data-testid="pacs-date" />
        </label>
        <button type="submit" className="primary" disabled={searching !== null || importing !== null} data-testid="pacs-search">
          Search
        </button>
      </form>
      <p role="status" aria-live="polite" data-testid="pacs-status">
        {importing ?? (searching !== null ? 'Searching the PACS…' : imported ? importedWords(imported) : '')}
      </p>
      {imported?.caseId && (
        <p>
          <Link href={`/cases/${imported.caseId}`} data-testid="pacs-imported-case">
            Open the new case
          </Link>
        </p>
      )}
      {error && (
        <p role="alert" data-testid="pacs-error">
          {error}
        </p>
      )}
      {studies && studies.length === 0 && <p data-testid="pacs-none">No study matches.</p>}
      {studies && studies.length > 0 && (
        <table className="pacs-results" data-testid="pacs-results">
          <caption>{studies.length === 1 ? '1 study' : `${studies.length} studies`}</caption>
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Accession</th>
              <th scope="col">Description</th>
              <th scope="col">Modalities</th>
              <th scope="col">Series / images</th>
              <th scope="col">
                <span className="pacs-hidden">Series</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {studies.map((s) => (
              <StudyRows
                key={s.studyInstanceUid}
                s={s}
                open={open?.study === s.studyInstanceUid ? open.series : undefined}
                onOpen={() => void openStudy(s.studyInstanceUid)}
                onImport={canImport(role) && importing === null ? (se) => void importOne(s.studyInstanceUid, se) : null}
              />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function importedWords(r: RetrieveResult): string {
  const how = r.via === 'c-move' ? 'C-MOVE' : 'WADO-RS';
  return r.caseId ? `Imported ${r.instances} images by ${how} as a new case.` : `${r.instances} images moved by ${how}; the case appears in the case list once the study is complete.`;
}

function StudyRows({ s, open, onOpen, onImport }: { s: StudyMatch; open: SeriesMatch[] | null | undefined; onOpen: () => void; onImport: ((se: SeriesMatch) => void) | null }) {
  return (
    <>
      <tr>
        <td>{dicomDate(s.studyDate)}</td>
        <td>{s.accessionNumber ?? '—'}</td>
        <td>{s.studyDescription ?? '—'}</td>
        <td>{s.modalities.join(', ') || '—'}</td>
        <td>
          {s.series ?? '?'} / {s.instances ?? '?'}
        </td>
        <td>
          <button type="button" onClick={onOpen} aria-expanded={open !== undefined} data-testid="pacs-open-study">
            {open !== undefined ? 'Hide series' : 'Series'}
          </button>
        </td>
      </tr>
      {open === null && (
        <tr>
          <td colSpan={6} aria-busy="true">
            Listing the series…
          </td>
        </tr>
      )}
      {open?.map((se) => (
        <tr key={se.seriesInstanceUid} className="pacs-series" data-testid="pacs-series">
          <td />
          <td>Series {se.seriesNumber ?? '?'}</td>
          <td>{se.seriesDescription ?? '—'}</td>
          <td>{se.modality ?? '—'}</td>
          <td>{se.instances ?? '?'} images</td>
          <td>
            {onImport ? (
              <button type="button" onClick={() => onImport(se)} data-testid="pacs-import">
                Import
              </button>
            ) : null}
          </td>
        </tr>
      ))}
    </>
  );
}

/**
 * The PACS page's search panel (route /pacs): search a destination by accession number or
 * study date, open a study to list its series, import one as a new case. Its state is
 * search-state.ts's: listings belong to the destination picked and are cleared when it
 * changes. Rendered by pages/PacsPage.tsx.
 */
import { useReducer, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { importSeries, searchStudies, seriesOf } from './api.js';
import { canImport, dateQuery, destinationWords, dicomDate } from './format.js';
import { initialSearch, searchReducer } from './search-state.js';
import type { PacsDestination, RetrieveResult, SeriesMatch, StudyMatch } from './types.js';

export function PacsSearch({ destinations, role }: { destinations: PacsDestination[]; role: string }) {
  const [state, dispatch] = useReducer(searchReducer, destinations[0]!.id, initialSearch);
  const { dest, studies, open, error, imported } = state;
  const [accession, setAccession] = useState('');
  const [date, setDate] = useState('');
  const [busy, setBusy] = useState<string | null>(null);

  async function search(e: FormEvent) {
    e.preventDefault();
    const d = dateQuery(date);
    if (!d.ok) return dispatch({ type: 'error', message: `Date: ${d.why}` });
    if (!accession.trim() && !d.value) return dispatch({ type: 'error', message: 'Give an accession number or a study date.' });
    dispatch({ type: 'searching' });
    setBusy('Searching the PACS…');
    try {
      dispatch({ type: 'studies', dest, studies: await searchStudies(dest, { ...(accession.trim() ? { accession: accession.trim() } : {}), ...(d.value ? { date: d.value } : {}) }) });
    } catch (err) {
      dispatch({ type: 'error', dest, message: `The search failed: ${(err as Error).message}` });
    } finally {
      setBusy(null);
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
    setBusy(`Importing series ${series.seriesNumber ?? ''} (${series.instances ?? '?'} images)… the case appears once the PACS has sent every image`);
    dispatch({ type: 'importing' });
    try {
      dispatch({ type: 'imported', result: await importSeries(dest, study, series.seriesInstanceUid) });
    } catch (err) {
      dispatch({ type: 'error', message: `Not imported: ${(err as Error).message}` });
    } finally {
      setBusy(null);
    }
  }

  return (
    <section aria-labelledby="pacs-search-h">
      <h2 id="pacs-search-h">Search</h2>
      <form className="pacs-search" onSubmit={search} aria-label="Search the PACS">
        <label>
          PACS
          <select value={dest} onChange={(e) => dispatch({ type: 'destination', dest: e.target.value })} data-testid="pacs-search-destination">
            {destinations.map((d) => (
              <option key={d.id} value={d.id}>
                {destinationWords(d)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Accession number
          <input value={accession} onChange={(e) => setAccession(e.target.value)} maxLength={64} autoComplete="off" data-testid="pacs-accession" />
        </label>
        <label>
          Study date
          <input value={date} onChange={(e) => setDate(e.target.value)} placeholder="2026-01-15 or 2026-01-01..2026-01-31" data-testid="pacs-date" />
        </label>
        <button type="submit" className="primary" disabled={busy !== null} data-testid="pacs-search">
          Search
        </button>
      </form>
      <p role="status" aria-live="polite" data-testid="pacs-status">
        {busy ?? (imported ? importedWords(imported) : '')}
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
              <StudyRows key={s.studyInstanceUid} s={s} open={open?.study === s.studyInstanceUid ? open.series : undefined} onOpen={() => void openStudy(s.studyInstanceUid)} onImport={canImport(role) && busy === null ? (se) => void importOne(s.studyInstanceUid, se) : null} />
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

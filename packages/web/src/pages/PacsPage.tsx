/**
 * PACS (route /pacs), issue 15: search a configured PACS by accession number or study date
 * (C-FIND or QIDO-RS on the server), open a study to list its series, import one (C-MOVE to
 * the server's DICOM listener, or WADO-RS) as a new case. Org-admins add and remove the
 * destinations here too.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { useSession } from '../session.js';
import { addDestination, importSeries, listDestinations, removeDestination, searchStudies, seriesOf } from '../pacs/api.js';
import { canImport, canManageDestinations, dateQuery, destinationWords, dicomDate } from '../pacs/format.js';
import type { PacsDestination, RetrieveResult, SeriesMatch, StudyMatch } from '../pacs/types.js';
import '../pacs/pacs.css';

export function PacsPage() {
  const { me } = useSession();
  const role = me.role;
  const [destinations, setDestinations] = useState<PacsDestination[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    listDestinations().then(setDestinations, (e: Error) => setLoadError(`The PACS destinations could not be loaded: ${e.message}`));
  }, [tick]);

  return (
    <main className="page pacs-page">
      <h1>PACS</h1>
      {loadError && <p role="alert">{loadError}</p>}
      {destinations && destinations.length > 0 && <Search destinations={destinations} role={role} />}
      {destinations?.length === 0 && <p>No PACS destination is configured yet{canManageDestinations(role) ? ': add one below.' : '; an org-admin adds them.'}</p>}
      {destinations && canManageDestinations(role) && <Destinations destinations={destinations} onChanged={() => setTick((t) => t + 1)} />}
    </main>
  );
}

function Search({ destinations, role }: { destinations: PacsDestination[]; role: string }) {
  const [dest, setDest] = useState(destinations[0]!.id);
  const [accession, setAccession] = useState('');
  const [date, setDate] = useState('');
  const [studies, setStudies] = useState<StudyMatch[] | null>(null);
  const [open, setOpen] = useState<{ study: string; series: SeriesMatch[] | null } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [imported, setImported] = useState<RetrieveResult | null>(null);

  async function search(e: FormEvent) {
    e.preventDefault();
    const d = dateQuery(date);
    if (!d.ok) return setError(`Date: ${d.why}`);
    if (!accession.trim() && !d.value) return setError('Give an accession number or a study date.');
    setError(null);
    setBusy('Searching the PACS…');
    setStudies(null);
    setOpen(null);
    setImported(null);
    try {
      setStudies(await searchStudies(dest, { ...(accession.trim() ? { accession: accession.trim() } : {}), ...(d.value ? { date: d.value } : {}) }));
    } catch (err) {
      setError(`The search failed: ${(err as Error).message}`);
    } finally {
      setBusy(null);
    }
  }

  async function openStudy(uid: string) {
    if (open?.study === uid) return setOpen(null);
    setOpen({ study: uid, series: null });
    setError(null);
    try {
      setOpen({ study: uid, series: await seriesOf(dest, uid) });
    } catch (err) {
      setError(`The series could not be listed: ${(err as Error).message}`);
      setOpen(null);
    }
  }

  async function importOne(study: string, series: SeriesMatch) {
    setBusy(`Importing series ${series.seriesNumber ?? ''} (${series.instances ?? '?'} images)… the case appears once the PACS has sent every image`);
    setError(null);
    setImported(null);
    try {
      setImported(await importSeries(dest, study, series.seriesInstanceUid));
    } catch (err) {
      setError(`Not imported: ${(err as Error).message}`);
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
          <select value={dest} onChange={(e) => setDest(e.target.value)} data-testid="pacs-search-destination">
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

function Destinations({ destinations, onChanged }: { destinations: PacsDestination[]; onChanged: () => void }) {
  const [kind, setKind] = useState<'dimse' | 'dicomweb'>('dimse');
  const [name, setName] = useState('');
  const [aeTitle, setAeTitle] = useState('');
  const [host, setHost] = useState('');
  const [port, setPort] = useState('104');
  const [url, setUrl] = useState('');
  const [error, setError] = useState<string | null>(null);

  async function add(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      await addDestination(kind === 'dimse' ? { name, kind, aeTitle, host, port: Number(port) } : { name, kind, dicomwebUrl: url });
      setName('');
      onChanged();
    } catch (err) {
      setError(`Not added: ${(err as Error).message}`);
    }
  }

  async function remove(d: PacsDestination) {
    setError(null);
    try {
      await removeDestination(d.id);
      onChanged();
    } catch (err) {
      setError(`${d.name} not removed: ${(err as Error).message}`);
    }
  }

  return (
    <section aria-labelledby="pacs-dest-h">
      <h2 id="pacs-dest-h">Destinations</h2>
      {destinations.length > 0 && (
        <ul className="pacs-destinations">
          {destinations.map((d) => (
            <li key={d.id}>
              {destinationWords(d)}{' '}
              <button type="button" onClick={() => void remove(d)} aria-label={`Remove ${d.name}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="pacs-dest-form" onSubmit={add} aria-label="Add a PACS destination">
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
        </label>
        <label>
          Protocol
          <select value={kind} onChange={(e) => setKind(e.target.value as 'dimse' | 'dicomweb')}>
            <option value="dimse">DICOM (C-STORE, C-FIND, C-MOVE)</option>
            <option value="dicomweb">DICOMweb (STOW-RS, QIDO-RS, WADO-RS)</option>
          </select>
        </label>
        {kind === 'dimse' ? (
          <>
            <label>
              AE title
              <input value={aeTitle} onChange={(e) => setAeTitle(e.target.value)} required maxLength={16} />
            </label>
            <label>
              Host
              <input value={host} onChange={(e) => setHost(e.target.value)} required />
            </label>
            <label>
              Port
              <input value={port} onChange={(e) => setPort(e.target.value)} required inputMode="numeric" pattern="[0-9]{1,5}" />
            </label>
          </>
        ) : (
          <label>
            DICOMweb URL
            <input value={url} onChange={(e) => setUrl(e.target.value)} required type="url" placeholder="https://pacs.example/dicom-web" />
          </label>
        )}
        <button type="submit">Add destination</button>
      </form>
      <p className="hint">Import by C-MOVE needs, on the PACS, this server&apos;s AE title with its host and DICOM port, and here a route of this organisation for the PACS&apos;s AE title.</p>
      {error && <p role="alert">{error}</p>}
    </section>
  );
}

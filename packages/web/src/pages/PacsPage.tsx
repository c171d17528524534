/**
 * PACS (route /pacs), issue 15: search a configured PACS by accession number or study date
 * (C-FIND or QIDO-RS on the server), open a study to list its series, import one (C-MOVE to
 * the server's DICOM listener, or WADO-RS) as a new case. Org-admins add and remove the
 * destinations here too. Until the destinations are read the page says so; when they cannot
 * be (the server down, a proxy's error page) it says why, with a Try again, instead of an
 * empty page or a list that is silently out of date.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '../api/client.js';
import { useSession } from '../session.js';
import { addDestination, listDestinations, removeDestination } from '../pacs/api.js';
import { canManageDestinations, destinationWords } from '../pacs/format.js';
import type { PacsDestination } from '../pacs/types.js';
import { PacsSearch } from '../pacs/PacsSearch.js';
import '../pacs/pacs.css';

/** Why the destinations did not load: the server's words and status, or that it was not reached. */
export function loadFailure(e: unknown): string {
  const head = 'The PACS destinations could not be loaded';
  if (e instanceof ApiError) return `${head}: ${e.message} (HTTP ${e.status}).`;
  return `${head}: the server was not reached (${e instanceof Error ? e.message : String(e)}).`;
}

export function PacsPage() {
  const { me } = useSession();
  const role = me.role;
  const [destinations, setDestinations] = useState<PacsDestination[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let stale = false;
    setLoading(true);
    listDestinations().then(
      (d) => {
        if (stale) return;
        setDestinations(d);
        setLoadError(null);
        setLoading(false);
      },
      // A list read before stays shown (it may be out of date: the alert says the reading failed).
      (e: unknown) => {
        if (stale) return;
        setLoadError(loadFailure(e));
        setLoading(false);
      },
    );
    return () => {
      stale = true;
    };
  }, [tick]);

  return (
    <main className="page pacs-page" aria-busy={loading}>
      <h1>PACS</h1>
      {loading && !destinations && (
        <p role="status" data-testid="pacs-loading">
          Loading the PACS destinations…
        </p>
      )}
      {loadError && (
        <div data-testid="pacs-load-error">
          <p role="alert">{loadError}</p>
          <button type="button" onClick={() => setTick((t) => t + 1)} disabled={loading}>
            Try again
          </button>
        </div>
      )}
      {destinations && destinations.length > 0 && <PacsSearch destinations={destinations} role={role} />}
      {destinations?.length === 0 && <p>No PACS destination is configured yet{canManageDestinations(role) ? ': add one below.' : '; an org-admin adds them.'}</p>}
      {destinations && canManageDestinations(role) && <Destinations destinations={destinations} onChanged={() => setTick((t) => t + 1)} />}
    </main>
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

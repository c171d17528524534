/**
 * The case page's PACS section (issue 15): pick a configured destination and send the approved
 * model version back (the server refuses before approval, 409 NOT_APPROVED): the model as Encapsulated STL, the segmentation as DICOM SEG and the
 * ISO report as Encapsulated PDF (3MF attached), into the study of the case's CT. Shows the
 * outcome per object and the earlier sends of the case.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { listDestinations, listSends, sendToPacs } from './api.js';
import { canManageDestinations, sendLines, sendStatusWords } from './format.js';
import { DestinationSelect } from './DestinationSelect.js';
import type { PacsDestination, PacsSend } from './types.js';
import './pacs.css';

export function SendToPacsPanel({ caseId, role }: { caseId: string; role: string }) {
  const [destinations, setDestinations] = useState<PacsDestination[] | null>(null);
  const [sends, setSends] = useState<PacsSend[]>([]);
  const [chosen, setChosen] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [last, setLast] = useState<PacsSend | null>(null);

  const reloadSends = useCallback(() => {
    listSends(caseId).then(setSends, () => {});
  }, [caseId]);

  useEffect(() => {
    listDestinations().then(
      (d) => {
        setDestinations(d);
        setChosen((c) => c || d[0]?.id || '');
      },
      (e: Error) => setError(`The PACS destinations could not be loaded: ${e.message}`),
    );
    reloadSends();
  }, [reloadSends]);

  async function send(e: FormEvent) {
    e.preventDefault();
    if (!chosen) return;
    setBusy(true);
    setError(null);
    setLast(null);
    try {
      setLast(await sendToPacs(caseId, chosen));
    } catch (err) {
      setError(`Not sent: ${(err as Error).message}`);
    } finally {
      setBusy(false);
      reloadSends();
    }
  }

  return (
    <section aria-labelledby="pacs-send-h" data-testid="pacs-send-panel" className="pacs-send">
      <h2 id="pacs-send-h">Send to PACS</h2>
      {destinations === null && !error && <p aria-busy="true">Loading the PACS destinations…</p>}
      {destinations?.length === 0 && (
        <p>
          No PACS destination is configured.
          {canManageDestinations(role) ? (
            <>
              {' '}
              <Link href="/pacs">Add one on the PACS page</Link>.
            </>
          ) : (
            ' An org-admin adds them on the PACS page.'
          )}
        </p>
      )}
      {destinations && destinations.length > 0 && (
        <form onSubmit={send} aria-label="Send the model back to a PACS" className="pacs-send-form">
          <DestinationSelect label="Destination" destinations={destinations} value={chosen} onChange={setChosen} testId="pacs-destination" />
          <button type="submit" className="primary" disabled={busy || !chosen} data-testid="pacs-send">
            Send
          </button>
        </form>
      )}
      <p className="hint">The approved model version (once a reviewer has approved one) goes into the CT&apos;s study: the model (Encapsulated STL), the segmentation (DICOM SEG) and the report (Encapsulated PDF, the 3MF attached).</p>
      <p role="status" aria-live="polite" data-testid="pacs-send-status">
        {busy ? 'Sending… (building the DICOM objects and storing them can take a minute)' : last ? sendStatusWords(last) : ''}
      </p>
      {error && (
        <p role="alert" data-testid="pacs-send-error">
          {error}
        </p>
      )}
      {last && (
        <ul className="pacs-objects" data-testid="pacs-send-objects">
          {sendLines(last).map((l) => (
            <li key={l}>{l}</li>
          ))}
        </ul>
      )}
      {sends.length > 0 && (
        <table className="pacs-sends">
          <caption>Sends of this case</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Destination</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {sends.map((s) => (
              <tr key={s.id} data-status={s.status}>
                <td>{s.createdAt ? new Date(s.createdAt).toLocaleString() : '—'}</td>
                <td>{s.destination ?? s.destinationId}</td>
                <td>{sendStatusWords(s)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/**
 * A case's print jobs and their life on a machine (queued → printing → printed | failed): a
 * technician or org-admin starts a queued job on one of the lab's machines of its printer
 * model, and says when it is printed or failed (with a note). The server refuses what cannot
 * be (a busy or down machine, a job no longer queued) and its words are shown; the list is
 * read again after each change and whenever `reload` changes (a job just queued). A job is
 * queued from approval on, but starts only on a case in state printing (every gate signed,
 * the server's rule): before that the Start button is off and says why.
 */
import { useCallback, useEffect, useState } from 'react';
import { finishPrintJob, listCasePrintJobs, listPrinters, startPrintJob } from './api.js';
import { canQueue, hMm, whenText } from './format.js';
import type { CasePrintJob, LabPrinter } from './types.js';

const STATUS_WORDS: Record<string, string> = {
  queued: 'queued',
  printing: 'printing',
  printed: 'printed',
  failed: 'failed',
  cancelled: 'cancelled (the case changed)',
};

export function PrintJobs({ caseId, role, reload, caseState }: { caseId: string; role: string; reload: string; caseState: string | undefined }) {
  const [jobs, setJobs] = useState<CasePrintJob[] | null>(null);
  const [printers, setPrinters] = useState<LabPrinter[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [choice, setChoice] = useState<Record<string, string>>({});
  const [notes, setNotes] = useState<Record<string, string>>({});
  const [tick, setTick] = useState(0);
  const again = useCallback(() => setTick((t) => t + 1), []);
  const operator = canQueue(role);
  const canStart = caseState === 'printing';

  useEffect(() => {
    let stale = false;
    listCasePrintJobs(caseId).then(
      (r) => !stale && setJobs(r.jobs),
      (e: Error) => !stale && setError(`The print jobs could not be loaded: ${e.message}`),
    );
    if (operator) listPrinters().then((r) => !stale && setPrinters(r.printers), () => undefined);
    return () => {
      stale = true;
    };
  }, [caseId, operator, reload, tick]);

  if (!jobs || jobs.length === 0) return error ? <p role="alert">{error}</p> : null;

  async function act(job: CasePrintJob, what: () => Promise<unknown>, done: string) {
    setBusy(job.id);
    setError(null);
    setSaid('');
    try {
      await what();
      setSaid(done);
      again();
    } catch (e) {
      setError(`Print job ${job.id.slice(0, 8)}: ${(e as Error).message}`);
    } finally {
      setBusy(null);
    }
  }

  return (
    <section aria-labelledby="print-jobs-h" data-testid="print-jobs">
      <h3 id="print-jobs-h">Print jobs</h3>
      <p role="status" data-testid="print-jobs-said">
        {said}
      </p>
      {error && (
        <p role="alert" data-testid="print-jobs-error">
          {error}
        </p>
      )}
      {operator && !canStart && jobs.some((j) => j.status === 'queued') && (
        <p data-testid="print-jobs-wait">A queued job starts once the print-qc gate is signed and the case is moved to printing (“Start printing” above).</p>
      )}
      <ul>
        {jobs.map((j) => {
          const machines = printers.filter((p) => p.catalogueId === j.printer && p.status === 'up');
          const machine = choice[j.id] ?? machines[0]?.id ?? '';
          return (
            <li key={j.id} data-testid="print-job" data-job-id={j.id} data-status={j.status}>
              <span className="mono">{j.id.slice(0, 8)}</span> on {j.printer} in {j.material}, {hMm(j.duration_s)} h:mm: <strong>{STATUS_WORDS[j.status] ?? j.status}</strong>
              {j.printerName && j.status !== 'queued' ? ` on ${j.printerName}` : ''}
              {j.startedAt ? `, started ${whenText(j.startedAt)}` : ''}
              {j.finishedAt ? `, ended ${whenText(j.finishedAt)}` : ''}
              {j.note ? ` (${j.note})` : ''}
              {operator && j.status === 'queued' && (
                <span className="print-toggle">
                  <label>
                    Machine
                    <select value={machine} onChange={(e) => setChoice((c) => ({ ...c, [j.id]: e.target.value }))} data-testid="print-job-machine">
                      {machines.map((p) => (
                        <option key={p.id} value={p.id}>
                          {p.name}
                        </option>
                      ))}
                    </select>
                  </label>
                  <button type="button" disabled={busy !== null || !machine || !canStart} onClick={() => void act(j, () => startPrintJob(machine, j.id), 'Started; the schedule is planned again.')} data-testid="print-job-start">
                    Start printing
                  </button>
                </span>
              )}
              {operator && j.status === 'printing' && j.printerId && (
                <span className="print-toggle">
                  <button type="button" disabled={busy !== null} onClick={() => void act(j, () => finishPrintJob(j.printerId!, j.id, 'printed'), 'Marked printed.')} data-testid="print-job-printed">
                    Printed
                  </button>
                  <label>
                    Why it failed
                    <input value={notes[j.id] ?? ''} onChange={(e) => setNotes((n) => ({ ...n, [j.id]: e.target.value }))} data-testid="print-job-note" />
                  </label>
                  <button
                    type="button"
                    disabled={busy !== null}
                    onClick={() => void act(j, () => finishPrintJob(j.printerId!, j.id, 'failed', notes[j.id]?.trim() || undefined), 'Marked failed.')}
                    data-testid="print-job-failed"
                  >
                    Failed
                  </button>
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

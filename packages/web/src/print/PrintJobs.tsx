/**
 * A case's print jobs and their life on a machine (queued → printing → printed | failed): a
 * technician or org-admin starts a queued job on one of the lab's machines of its printer
 * model, and says when it is printed or failed (with a note). A machine prints one plate at a
 * time with all its jobs (parts of one material that the plan puts together, other cases'
 * too), so Start starts the plate the plan has this job on, as the schedule page's plate
 * buttons do, and says which jobs share it: starting the job alone would leave its plate-mates
 * for a later run of the machine. The server refuses what cannot be (a busy or down machine, a
 * job no longer queued, a plate-mate's case not yet printing) and its words are shown; the list is
 * read again after each change and whenever `reload` changes: a job just queued, and each time
 * the case page reads its case again (a plate started, finished or failed on the schedule
 * page or by another technician reaches the page as the case's `case-activity` event, and the
 * page loads what it shows again, also at each reconnect of its stream). A job is
 * queued from approval on, but starts only on a case in state printing (every gate signed,
 * the server's rule): before that the Start button is off and says why.
 */
import { useCallback, useEffect, useState } from 'react';
import { finishPrintJob, getSchedule, listCasePrintJobs, listPrinters, startPlate } from './api.js';
import { canQueue, hMm, whenText } from './format.js';
import type { CasePrintJob, LabPrinter, PlateJson, ScheduleJson } from './types.js';

/** The plate the plan puts a queued job on (null: none, the job is unplaceable or no machine is up). */
const plateOf = (plan: ScheduleJson | null, jobId: string): PlateJson | null => plan?.plates.find((p) => p.jobIds.includes(jobId)) ?? null;

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
  const [plan, setPlan] = useState<ScheduleJson | null>(null);
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
    // The plan says which jobs share a plate with a queued one (its Start starts them all).
    if (operator) getSchedule().then((r) => !stale && setPlan(r), () => undefined);
    return () => {
      stale = true;
    };
  }, [caseId, operator, reload, tick]);

  if (!jobs || jobs.length === 0) return error ? <p role="alert">{error}</p> : null;

  /** Runs `what`, which answers what to say once it is done. */
  async function act(job: CasePrintJob, what: () => Promise<string>) {
    setBusy(job.id);
    setError(null);
    setSaid('');
    try {
      setSaid(await what());
      again();
    } catch (e) {
      setError(`Print job ${job.id.slice(0, 8)}: ${(e as Error).message}`);
      again(); // a refusal may mean the list or the plan changed meanwhile (a plate-mate started elsewhere)
    } finally {
      setBusy(null);
    }
  }

  /**
   * Starts `together` (the jobs shown as sharing `job`'s plate) on the machine: those, not the
   * plan read again at the click, as they are what the technician was told and put on the plate.
   */
  function startTogether(job: CasePrintJob, machineId: string, together: string[]) {
    const name = printers.find((p) => p.id === machineId)?.name ?? 'the machine';
    return act(job, async () => {
      await startPlate(machineId, together);
      const what = together.length > 1 ? `the plate on ${name}: ${together.length} jobs together` : `on ${name}`;
      return `Started ${what}; the schedule is planned again.`;
    });
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
          const plate = j.status === 'queued' ? plateOf(plan, j.id) : null;
          const together = plate?.jobIds ?? [j.id];
          const mates = together.filter((id) => id !== j.id).map((id) => plan?.jobs.find((x) => x.id === id)?.caseTitle ?? `job ${id.slice(0, 8)}`);
          // The machine the plan has the plate on, while it is up; else the first one up.
          const planned = plate && machines.some((p) => p.id === plate.printerId) ? plate.printerId : undefined;
          const machine = choice[j.id] ?? planned ?? machines[0]?.id ?? '';
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
                  <button type="button" disabled={busy !== null || !machine || !canStart} onClick={() => void startTogether(j, machine, together)} data-testid="print-job-start">
                    {mates.length ? `Start the plate (${together.length} jobs)` : 'Start printing'}
                  </button>
                </span>
              )}
              {operator && mates.length > 0 && (
                <p className="hint" data-testid="print-job-plate" data-job-ids={together.join(' ')}>
                  On one plate with {mates.join(', ')}: a machine prints a plate&apos;s jobs together, so Start starts {mates.length === 1 ? 'both' : `all ${together.length}`}.
                </p>
              )}
              {operator && j.status === 'printing' && j.printerId && (
                <span className="print-toggle">
                  <button type="button" disabled={busy !== null} onClick={() => void act(j, () => finishPrintJob(j.printerId!, j.id, 'printed').then(() => 'Marked printed.'))} data-testid="print-job-printed">
                    Printed
                  </button>
                  <label>
                    Why it failed
                    <input value={notes[j.id] ?? ''} onChange={(e) => setNotes((n) => ({ ...n, [j.id]: e.target.value }))} data-testid="print-job-note" />
                  </label>
                  <button
                    type="button"
                    disabled={busy !== null}
                    onClick={() => void act(j, () => finishPrintJob(j.printerId!, j.id, 'failed', notes[j.id]?.trim() || undefined).then(() => 'Marked failed.'))}
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

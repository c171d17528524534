/**
 * Print schedule (route /print/schedule): the lab's printers with their availability and the
 * planned plates as a timeline (issue 12), the same facts as tables for screen readers and
 * print-outs, late jobs and waiting jobs listed in words. A technician or org-admin marks a
 * printer down or up (the server re-plans), starts a printer's next plate and says when the
 * plate printing there is printed or failed; an org-admin adds a printer from the catalogue.
 * The plan is read again every 30 s and after each change made here.
 */
import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { useSession } from '../session.js';
import { addPrinter, getCatalogue, getSchedule, setPrinterStatus } from '../print/api.js';
import { canEditCatalogue, canQueue, hMm, whenText } from '../print/format.js';
import { buildTimeline } from '../print/timeline.js';
import { plateWords, Timeline } from '../print/Timeline.js';
import type { CatalogueVersion, LabPrinter, ScheduleJson } from '../print/types.js';
import { PlateActions } from '../print/PlateActions.js';
import '../print/print.css';

const REFRESH_MS = 30_000;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function PrintSchedulePage() {
  const { me } = useSession();
  const [plan, setPlan] = useState<ScheduleJson | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const [acting, setActing] = useState(false);
  const operator = canQueue(me.role);

  async function act(what: () => Promise<unknown>, done: string) {
    setActing(true);
    setError(null);
    try {
      await what();
      setSaid(done);
      reload();
    } catch (e) {
      setError(`Not done: ${(e as Error).message}`);
    } finally {
      setActing(false);
    }
  }

  useEffect(() => {
    let stale = false;
    getSchedule().then(
      (s) => {
        if (stale) return;
        setPlan(s);
        setNow(Date.now());
        setError(null);
      },
      (e: Error) => !stale && setError(`The schedule could not be loaded: ${e.message}`),
    );
    return () => {
      stale = true;
    };
  }, [tick]);
  useEffect(() => {
    const id = setInterval(reload, REFRESH_MS);
    return () => clearInterval(id);
  }, [reload]);

  const t = useMemo(() => (plan ? buildTimeline(plan, now) : null), [plan, now]);

  return (
    <main className="page print-schedule">
      <h1>Print schedule</h1>
      <p className="print-actions">
        <button type="button" onClick={reload} data-testid="schedule-refresh">
          Refresh
        </button>
        {plan?.plannedAt && <span className="hint">Planned {whenText(plan.plannedAt)}.</span>}
      </p>
      {error && <p role="alert">{error}</p>}
      <p role="status" data-testid="schedule-said">
        {said}
      </p>
      {!plan || !t ? (
        !error && <p aria-busy="true">Loading…</p>
      ) : (
        <>
          {plan.printers.length === 0 ? (
            <p data-testid="schedule-no-printers">
              No printers in the lab yet.{canEditCatalogue(me.role) ? ' Add one below.' : ' An organisation admin adds them.'}
            </p>
          ) : (
            <Timeline t={t} now={now} />
          )}

          <section aria-labelledby="late-h">
            <h2 id="late-h">Late jobs</h2>
            {t.late.length === 0 ? (
              <p data-testid="schedule-late-none">No job is planned to end after its due date.</p>
            ) : (
              <ul data-testid="schedule-late">
                {t.late.map((l) => (
                  <li key={l.job.id} className="print-late" data-job-id={l.job.id}>
                    <CaseLink id={l.job.caseId} title={l.job.caseTitle} />: due {whenText(l.due)}, planned to end {whenText(l.end)}
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section aria-labelledby="waiting-h">
            <h2 id="waiting-h">Waiting for a printer</h2>
            {t.waiting.length === 0 ? (
              <p data-testid="schedule-waiting-none">Every queued job has a plate.</p>
            ) : (
              <ul data-testid="schedule-waiting">
                {t.waiting.map((w) => (
                  <li key={w.job.id} data-testid="schedule-waiting-job" data-job-id={w.job.id}>
                    <CaseLink id={w.job.caseId} title={w.job.caseTitle} /> ({hMm(w.job.duration_s)} h:mm{w.job.due ? `, due ${whenText(w.job.due)}` : ''}){w.reason ? `: ${w.reason}` : ''}
                  </li>
                ))}
              </ul>
            )}
          </section>

          <PrintersTable printers={plan.printers} mayToggle={canQueue(me.role)} onChanged={(m) => {
              setSaid(m);
              reload();
            }} />

          <section aria-labelledby="plates-h">
            <h2 id="plates-h">Plates (the timeline as a table)</h2>
            <table className="admin-table" data-testid="schedule-plates">
              <caption>{plural(t.rows.reduce((n, r) => n + r.plates.length, 0), 'plate')} planned</caption>
              <thead>
                <tr>
                  <th scope="col">Printer</th>
                  <th scope="col">Start</th>
                  <th scope="col">End</th>
                  <th scope="col">Cases</th>
                  <th scope="col">Due</th>
                  <th scope="col">Late</th>
                  {operator && <th scope="col">Action</th>}
                </tr>
              </thead>
              <tbody>
                {t.rows.flatMap((row) =>
                  row.plates.map((p) => (
                    <tr key={p.key} data-testid="schedule-plate-row" data-printer-id={row.printer.id} data-job-ids={p.jobs.map((j) => j.id).join(' ')} className={p.late ? 'print-late' : undefined} title={plateWords(row, p)}>
                      <th scope="row">{row.printer.name}</th>
                      <td>{whenText(p.start)}</td>
                      <td>{whenText(p.end)}</td>
                      <td>
                        {p.jobs.map((j, k) => (
                          <span key={j.id}>
                            {k > 0 ? ', ' : ''}
                            <CaseLink id={j.caseId} title={j.caseTitle} />
                          </span>
                        ))}
                      </td>
                      <td>{p.jobs.map((j) => (j.due ? whenText(j.due) : '—')).join(', ')}</td>
                      <td>{p.late ? 'late' : 'on time'}</td>
                      {operator && (
                        <td>
                          <PlateActions row={row} plate={p} busy={acting} act={(what, done) => void act(what, done)} />
                        </td>
                      )}
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          </section>

          {canEditCatalogue(me.role) && <AddPrinterForm onAdded={(m) => {
                setSaid(m);
                reload();
              }} />}
        </>
      )}
    </main>
  );
}

function CaseLink({ id, title }: { id: string; title: string }) {
  return id ? <Link href={`/cases/${id}`}>{title}</Link> : <span>{title}</span>;
}

function PrintersTable({ printers, mayToggle, onChanged }: { printers: LabPrinter[]; mayToggle: boolean; onChanged: (said: string) => void }) {
  const [notes, setNotes] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function toggle(p: LabPrinter) {
    const to = p.status === 'up' ? 'down' : 'up';
    setBusy(p.id);
    setError(null);
    try {
      await setPrinterStatus(p.id, to, notes[p.id]?.trim() || undefined);
      setNotes((n) => ({ ...n, [p.id]: '' }));
      onChanged(`${p.name} is ${to}; the schedule is planned again.`);
    } catch (e) {
      setError(`${p.name} stays ${p.status}: ${(e as Error).message}`);
    } finally {
      setBusy(null);
    }
  }

  return (
    <section aria-labelledby="printers-h">
      <h2 id="printers-h">Printers</h2>
      {error && <p role="alert">{error}</p>}
      <table className="admin-table" data-testid="schedule-printers">
        <caption>{plural(printers.length, 'printer')} in the lab</caption>
        <thead>
          <tr>
            <th scope="col">Printer</th>
            <th scope="col">Model</th>
            <th scope="col">Status</th>
            <th scope="col">Outages</th>
            {mayToggle && <th scope="col">Change</th>}
          </tr>
        </thead>
        <tbody>
          {printers.map((p) => (
            <tr key={p.id} data-testid="schedule-printer" data-printer-id={p.id} data-status={p.status}>
              <th scope="row">{p.name}</th>
              <td className="mono">{p.catalogueId}</td>
              <td className={`tl-state-${p.status}`}>{p.status}</td>
              <td>
                {p.outages.length === 0
                  ? 'none'
                  : p.outages.map((o) => `${whenText(o.from)} – ${o.to ? whenText(o.to) : 'until further notice'}${o.note ? ` (${o.note})` : ''}`).join('; ')}
              </td>
              {mayToggle && (
                <td>
                  <div className="print-toggle">
                    <label>
                      Note (optional)
                      <input value={notes[p.id] ?? ''} onChange={(e) => setNotes((n) => ({ ...n, [p.id]: e.target.value }))} data-testid="printer-note" />
                    </label>
                    <button type="button" onClick={() => void toggle(p)} disabled={busy !== null} data-testid="printer-toggle" aria-label={`${p.status === 'up' ? 'Mark down' : 'Mark up'}: ${p.name}`}>
                      {p.status === 'up' ? 'Mark down' : 'Mark up'}
                    </button>
                  </div>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function AddPrinterForm({ onAdded }: { onAdded: (said: string) => void }) {
  const [cat, setCat] = useState<CatalogueVersion | null>(null);
  const [catalogueId, setCatalogueId] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    getCatalogue().then(
      (c) => {
        setCat(c);
        setCatalogueId(c.catalogue.printers[0]?.id ?? '');
      },
      (e: Error) => setError(e.message),
    );
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await addPrinter({ catalogueId, name: name.trim() });
      onAdded(`Added ${name.trim()}.`);
      setName('');
    } catch (err) {
      setError(`The printer was not added: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="add-printer-h">
      <h2 id="add-printer-h">Add a printer</h2>
      <form className="admin-form" onSubmit={submit} aria-labelledby="add-printer-h">
        <label>
          Model (from the catalogue)
          <select value={catalogueId} onChange={(e) => setCatalogueId(e.target.value)} data-testid="add-printer-model">
            {cat?.catalogue.printers.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name in the lab
          <input required value={name} onChange={(e) => setName(e.target.value)} data-testid="add-printer-name" />
        </label>
        <button type="submit" className="primary" disabled={busy || !catalogueId} data-testid="add-printer-submit">
          Add printer
        </button>
        {error && <p role="alert">{error}</p>}
      </form>
    </section>
  );
}

/**
 * New case: the order (purpose, anatomy, due date, notes) and the scan. The scan is read,
 * described and anonymised in a Web Worker as soon as it is dropped; only the anonymised zip
 * is uploaded (tus, resumable), then the convert job starts and the case page opens.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useLocation } from 'wouter';
import { useSession } from '../session.js';
import { AnonymisationSummary } from '../upload/AnonymisationSummary.js';
import { DropZone } from '../upload/DropZone.js';
import { SeriesList } from '../upload/SeriesList.js';
import { UploadProgress } from '../upload/UploadProgress.js';
import { bytes } from '../upload/format.js';
import { projectKey, type ProjectKey } from '../upload/project-key.js';
import { usePrepare } from '../upload/use-prepare.js';
import { SkippedFiles } from '../upload/SkippedFiles.js';
import { usePending, useSend, type CaseForm } from '../upload/use-send.js';
import { whyNotConvertible } from '../upload/convertible.js';
import { canCreateCases } from '../cases/format.js';
import '../upload/upload.css';

const PURPOSES = ['Surgical planning', 'Implant or guide design', 'Patient communication', 'Teaching'];
const ANATOMIES = ['Skull', 'Mandible', 'Midface', 'Spine', 'Pelvis', 'Hip', 'Knee', 'Shoulder', 'Foot and ankle'];

function ResumeBanner({ onResume, onDiscard, caseId, size }: { onResume(): void; onDiscard(): void; caseId: string; size: number }) {
  return (
    <section className="resume" aria-labelledby="resume-h" data-testid="upload-resume-banner">
      <h2 id="resume-h">An upload did not finish</h2>
      <p>
        Case {caseId}: {bytes(size)} of anonymised files are kept in this browser. Resume continues where the server stopped.
      </p>
      <button type="button" data-testid="upload-resume" onClick={onResume}>
        Resume upload
      </button>{' '}
      <button type="button" onClick={onDiscard}>
        Discard
      </button>
    </section>
  );
}

export function NewCasePage() {
  const { me } = useSession();
  const [, navigate] = useLocation();
  const [form, setForm] = useState<CaseForm>({ purpose: '', anatomy: '', dueDate: '', notes: '' });
  const [key, setKey] = useState<ProjectKey | null>(null);
  const [keyError, setKeyError] = useState<string | null>(null);
  const { state: prep, prepare } = usePrepare();
  const { pending, loaded, forget } = usePending(me.id);
  const { state: sending, send, resume } = useSend(navigate, me.id);

  useEffect(() => {
    projectKey(me.orgId).then(setKey, (e: Error) => setKeyError(`no project key: ${e.message}`));
  }, [me.orgId]);

  const set = (k: keyof CaseForm) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const busy = sending.phase === 'creating' || sending.phase === 'uploading' || sending.phase === 'starting-job';
  const blocked = prep.parsed ? whyNotConvertible(prep.parsed.series) : null;
  const ready = prep.phase === 'ready' && prep.prepared !== null && prep.prepared.report.files.written > 0 && blocked === null;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!ready || busy || !prep.prepared) return;
    void send(form, prep.prepared.zip, prep.prepared.report.files.written);
  }

  // While the case is being created and sent, leaving would stop the upload: the browser asks
  // before a reload or close, and a click on a link of the app asks first (leaving was silent).
  useEffect(() => {
    if (!busy) return;
    const ask = (e: BeforeUnloadEvent): void => {
      e.preventDefault();
      e.returnValue = '';
    };
    const click = (e: MouseEvent): void => {
      const a = (e.target as Element | null)?.closest?.('a[href]');
      if (!a || e.defaultPrevented) return;
      if (!window.confirm('The upload is still running. Leave this page and stop it? It can be resumed later from New case.')) {
        e.preventDefault();
        e.stopPropagation();
      }
    };
    window.addEventListener('beforeunload', ask);
    document.addEventListener('click', click, true);
    return () => {
      window.removeEventListener('beforeunload', ask);
      document.removeEventListener('click', click, true);
    };
  }, [busy]);

  const showResume = pending && sending.phase === 'idle';
  if (!canCreateCases(me.role)) {
    return (
      <main className="page new-case" data-testid="new-case-page">
        <h1>New case</h1>
        <p role="alert" data-testid="new-case-refused">
          Your role ({me.role}) does not create cases: requesters, engineers and organisation admins do.
        </p>
      </main>
    );
  }
  return (
    <main className="page new-case" data-testid="new-case-page" data-pending={loaded ? (pending ? 'yes' : 'none') : 'loading'}>
      <h1>New case</h1>
      {showResume && (
        <ResumeBanner caseId={pending.caseId} size={pending.zip.size} onResume={() => void resume()} onDiscard={() => void forget()} />
      )}
      <form onSubmit={submit} aria-label="New case">
        <fieldset disabled={busy}>
          <legend>1. The order</legend>
          <label>
            Purpose
            <input required list="purposes" value={form.purpose} onChange={set('purpose')} data-testid="case-purpose" />
            <datalist id="purposes">
              {PURPOSES.map((p) => (
                <option key={p} value={p} />
              ))}
            </datalist>
          </label>
          <label>
            Anatomy
            <input required list="anatomies" value={form.anatomy} onChange={set('anatomy')} data-testid="case-anatomy" />
            <datalist id="anatomies">
              {ANATOMIES.map((a) => (
                <option key={a} value={a} />
              ))}
            </datalist>
          </label>
          <label>
            Due date
            <input type="date" value={form.dueDate} onChange={set('dueDate')} data-testid="case-due" />
          </label>
          <label>
            Notes
            <textarea rows={3} value={form.notes} onChange={set('notes')} data-testid="case-notes" />
          </label>
        </fieldset>

        <fieldset disabled={busy}>
          <legend>2. The scan</legend>
          {keyError && <p role="alert">{keyError}</p>}
          <DropZone disabled={!key} onFiles={(files) => key && prepare(files, key.key)} />
          {prep.progress.describe && (
            <p aria-live="polite" data-testid="prepare-progress">
              Reading: {prep.progress.describe.message} ({Math.round(prep.progress.describe.fraction * 100)} %)
            </p>
          )}
          {prep.progress.anonymise && (
            <p aria-live="polite">
              Anonymising: {prep.progress.anonymise.message} ({Math.round(prep.progress.anonymise.fraction * 100)} %)
            </p>
          )}
          {prep.error && <p role="alert">These files could not be read: {prep.error}</p>}
          {prep.parsed && (
            <section aria-labelledby="series-h">
              <h3 id="series-h">
                Found {prep.parsed.series.length} series in {prep.parsed.sources} files
                {prep.parsed.notDicom > 0 && `, ${prep.parsed.notDicom} not DICOM`}
                {prep.parsed.unreadable > 0 && `, ${prep.parsed.unreadable} unreadable`}
              </h3>
              {prep.parsed.skipped.length > 0 && <SkippedFiles parsed={prep.parsed} />}
              <SeriesList series={prep.parsed.series} />
              {blocked && (
                <p role="alert" data-testid="upload-blocked">
                  No series here can be made into a model: {blocked}. Choose the whole CT series (a folder or a zip of it).
                </p>
              )}
            </section>
          )}
          {prep.prepared && key && <AnonymisationSummary report={prep.prepared.report} keyFingerprint={key.fingerprint} />}
          {ready && (
            <p className="ready" data-testid="upload-ready">
              Ready to upload: {prep.prepared!.report.files.written} anonymised files.
            </p>
          )}
        </fieldset>

        <fieldset>
          <legend>3. Send</legend>
          <button type="submit" data-testid="upload-start" disabled={!ready || busy}>
            {sending.phase === 'creating' ? 'Creating the case…' : sending.phase === 'uploading' ? 'Uploading…' : 'Create case and upload'}
          </button>
          {!ready && sending.phase === 'idle' && <p className="hint">Choose the scan first; the button is enabled once it is anonymised.</p>}
        </fieldset>
      </form>
      {(sending.phase === 'uploading' || sending.phase === 'starting-job' || sending.progress) && (
        <UploadProgress p={sending.progress} label="Upload of the anonymised series" />
      )}
      {sending.phase === 'starting-job' && <p aria-live="polite">Uploaded; starting the model job…</p>}
      {sending.phase === 'failed' && (
        <div role="alert" className="send-error">
          <p>{sending.error}</p>
          {sending.resumable && (
            <button type="button" data-testid="upload-resume" onClick={() => void resume()}>
              Try again (resume)
            </button>
          )}
        </div>
      )}
    </main>
  );
}

/**
 * Sending a prepared case: create it (POST /api/cases), keep the anonymised zip in IndexedDB,
 * upload it with tus, then start the convert job and open the case. A reload in between
 * finds the pending upload (usePending) and resumes where the server stopped.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api/client.js';
import { clearPending, loadPending, savePending, setPendingUrl, type PendingUpload } from './pending-store.js';
import { startUpload, type UploadHandle, type UploadProgress } from './tus-upload.js';

export interface CaseForm {
  purpose: string;
  anatomy: string;
  dueDate: string;
  notes: string;
}

export interface SendState {
  phase: 'idle' | 'creating' | 'uploading' | 'starting-job' | 'failed';
  progress: UploadProgress | null;
  caseId: string | null;
  error: string | null;
  /** The upload can be resumed after the failure (network), as opposed to a refusal. */
  resumable: boolean;
}

const IDLE: SendState = { phase: 'idle', progress: null, caseId: null, error: null, resumable: false };

/** The pending upload of `owner` (the logged-in user's id), if any. */
export function usePending(owner: string): { pending: PendingUpload | null; loaded: boolean; forget(): Promise<void> } {
  const [pending, setPending] = useState<PendingUpload | null>(null);
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    setLoaded(false);
    loadPending(owner).then(
      (p) => {
        setPending(p);
        setLoaded(true);
      },
      () => setLoaded(true),
    );
  }, [owner]);
  const forget = useCallback(async () => {
    await clearPending(owner);
    setPending(null);
  }, [owner]);
  return { pending, loaded, forget };
}

export function useSend(navigate: (to: string) => void, owner: string) {
  const [state, setState] = useState<SendState>(IDLE);
  const handle = useRef<UploadHandle | null>(null);
  useEffect(() => () => handle.current?.abort(), []);

  const upload = useCallback(
    async (p: PendingUpload) => {
      setState((s) => ({ ...s, phase: 'uploading', caseId: p.caseId, error: null, resumable: false }));
      handle.current = startUpload({
        caseId: p.caseId,
        zip: p.zip,
        uploadUrl: p.uploadUrl,
        onUrl: (url) => void setPendingUrl(owner, url),
        onProgress: (progress) => setState((s) => ({ ...s, progress })),
      });
      try {
        await handle.current.done;
      } catch (e) {
        const message = (e as Error).message;
        const refused = message.startsWith('the server refused');
        if (refused) await clearPending(owner);
        setState((s) => ({ ...s, phase: 'failed', error: message, resumable: !refused }));
        return;
      }
      await clearPending(owner);
      setState((s) => ({ ...s, phase: 'starting-job' }));
      try {
        // One convert per upload, even if this step is retried after a reload.
        await api('POST', `/api/cases/${p.caseId}/jobs`, { kind: 'convert' }, { headers: { 'idempotency-key': `upload-${p.caseId}-${p.createdAt}` } });
      } catch (e) {
        setState((s) => ({ ...s, phase: 'failed', error: `uploaded, but the model job did not start: ${(e as Error).message}`, resumable: false }));
        return;
      }
      navigate(`/cases/${p.caseId}`);
    },
    [navigate, owner],
  );

  const send = useCallback(
    async (form: CaseForm, zip: Blob, files: number) => {
      setState({ ...IDLE, phase: 'creating' });
      let caseId: string;
      try {
        const body = {
          purpose: form.purpose.trim(),
          anatomy: form.anatomy.trim(),
          ...(form.dueDate ? { dueDate: form.dueDate } : {}),
          ...(form.notes.trim() ? { notes: form.notes.trim() } : {}),
        };
        caseId = (await api<{ id: string }>('POST', '/api/cases', body)).id;
      } catch (e) {
        setState({ ...IDLE, phase: 'failed', error: `the case was not created: ${(e as Error).message}` });
        return;
      }
      const p: PendingUpload = { caseId, zip, uploadUrl: null, files, createdAt: new Date().toISOString() };
      await savePending(owner, p);
      await upload(p);
    },
    [upload, owner],
  );

  const resume = useCallback(async () => {
    const p = await loadPending(owner);
    if (p) await upload(p);
  }, [upload, owner]);

  return { state, send, resume };
}

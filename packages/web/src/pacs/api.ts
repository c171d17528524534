/** The PACS calls (routes/pacs.ts): destinations, search, import, send-back. */
import { api } from '../api/client.js';
import type { PacsDestination, PacsSend, RetrieveResult, SeriesMatch, StudyMatch } from './types.js';

const enc = encodeURIComponent;

export const listDestinations = () => api<{ destinations: PacsDestination[] }>('GET', '/api/pacs/destinations').then((r) => r.destinations);
export const addDestination = (d: { name: string; kind: 'dimse' | 'dicomweb'; aeTitle?: string; host?: string; port?: number; dicomwebUrl?: string }) =>
  api<PacsDestination>('POST', '/api/pacs/destinations', d);
export const removeDestination = (id: string) => api<void>('DELETE', `/api/pacs/destinations?id=${enc(id)}`);

export const sendToPacs = (caseId: string, destinationId: string, jobId?: string) =>
  api<PacsSend>('POST', `/api/cases/${enc(caseId)}/pacs-send`, { destinationId, ...(jobId ? { jobId } : {}) });
export const listSends = (caseId: string) => api<{ sends: PacsSend[] }>('GET', `/api/cases/${enc(caseId)}/pacs-sends`).then((r) => r.sends);

export function searchStudies(destinationId: string, q: { accession?: string; date?: string }, signal?: AbortSignal) {
  const p = new URLSearchParams({ destinationId });
  if (q.accession) p.set('accession', q.accession);
  if (q.date) p.set('date', q.date);
  return api<{ studies: StudyMatch[] }>('GET', `/api/pacs/query?${p}`, undefined, signal ? { signal } : {}).then((r) => r.studies);
}

export const seriesOf = (destinationId: string, studyUid: string) =>
  api<{ series: SeriesMatch[] }>('GET', `/api/pacs/query?${new URLSearchParams({ destinationId, studyUid })}`).then((r) => r.series);

export const importSeries = (destinationId: string, studyUid: string, seriesUid?: string) =>
  api<RetrieveResult>('POST', '/api/pacs/retrieve', { destinationId, studyUid, ...(seriesUid ? { seriesUid } : {}), wait: true });

/** The print calls (routes/print.ts): catalogue and its versions, quotes, the lab's printers, print jobs and the schedule. */
import { api, ApiError, authHeaders } from '../api/client.js';
import { issuesOf } from './catalogue-fields.js';
import type { CasePrintJob, CatalogueVersion, CatalogueVersionInfo, FieldIssue, LabPrinter, MaterialNeed, PrintCatalogue, QuoteJson, ScheduleJson } from './types.js';

const enc = encodeURIComponent;

export const getCatalogue = () => api<CatalogueVersion>('GET', '/api/print/catalogue');
export const listCatalogueVersions = () => api<{ versions: CatalogueVersionInfo[] }>('GET', '/api/print/catalogue/versions');

/** A refused save: 409 (someone saved a newer version) or 400 with the fields that are wrong. */
export class CatalogueSaveError extends ApiError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly issues: FieldIssue[],
    readonly currentVersion: number | null,
  ) {
    super(status, code, message);
  }
}

/**
 * PUT /api/print/catalogue. Not through api(): a refusal's body carries the field issues and
 * the current version, which ApiError does not keep.
 */
export async function saveCatalogue(catalogue: PrintCatalogue, baseVersion: number): Promise<CatalogueVersion> {
  const res = await fetch('/api/print/catalogue', {
    method: 'PUT',
    credentials: 'same-origin',
    headers: { ...authHeaders(), 'content-type': 'application/json' },
    body: JSON.stringify({ catalogue, baseVersion }),
  });
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: the status line says it
  }
  if (res.ok) return body as CatalogueVersion;
  const e = (body as { error?: { code?: string; message?: string; currentVersion?: number; current?: number } } | null)?.error;
  const current = typeof e?.currentVersion === 'number' ? e.currentVersion : typeof e?.current === 'number' ? e.current : null;
  throw new CatalogueSaveError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? (res.statusText || `the server answered ${res.status}`), issuesOf(body), current);
}

/**
 * The quote; `signal` stops it (the server then stops slicing: it sees the request go). Printer
 * (and material) "auto": the server chooses the pair first and answers the choice with the quote.
 */
export const quoteCase = (caseId: string, body: { printer: string; material: string; supports?: boolean; needs?: MaterialNeed[] }, signal?: AbortSignal) =>
  api<QuoteJson>('POST', `/api/cases/${enc(caseId)}/quote`, body, signal ? { signal } : undefined);

export const listPrinters = () => api<{ printers: LabPrinter[] }>('GET', '/api/print/printers');
export const addPrinter = (body: { catalogueId: string; name: string }) => api<LabPrinter>('POST', '/api/print/printers', body);
export const setPrinterStatus = (id: string, status: 'up' | 'down', note?: string) =>
  api<unknown>('POST', `/api/print/printers/${enc(id)}/status`, { status, ...(note ? { note } : {}) });

export interface PrintJobJson {
  id: string;
  caseId: string;
  duration_s?: number;
  due?: string | null;
}

/** Queues the case with the server's quote (quoteId): the server takes the print time from it, never from us. */
export const queuePrintJob = (body: { caseId: string; printer: string; material: string; quoteId?: string }) =>
  api<PrintJobJson>('POST', '/api/print/jobs', body);

export const listCasePrintJobs = (caseId: string) => api<{ jobs: CasePrintJob[] }>('GET', `/api/cases/${enc(caseId)}/print-jobs`);
/** The job printing on the machine is printed, or failed (with a note saying why). */
export const finishPrintJob = (printerId: string, jobId: string, outcome: 'printed' | 'failed', note?: string) =>
  api<unknown>('POST', `/api/print/printers/${enc(printerId)}/${outcome === 'printed' ? 'finish' : 'fail'}`, { jobId, ...(note ? { note } : {}) });

/** A plate's jobs start together on the machine; a machine's plate (every job printing there) is printed or failed together. */
export const startPlate = (printerId: string, jobIds: string[]) => api<unknown>('POST', `/api/print/printers/${enc(printerId)}/start`, { jobIds });
export const finishPlate = (printerId: string, outcome: 'printed' | 'failed') => api<unknown>('POST', `/api/print/printers/${enc(printerId)}/${outcome === 'printed' ? 'finish' : 'fail'}`, {});

export const getSchedule = () => api<ScheduleJson>('GET', '/api/print/schedule');

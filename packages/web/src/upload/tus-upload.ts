/**
 * Sends the anonymised zip to the server's tus endpoint (/api/uploads) with tus-js-client:
 * chunked PATCHes, retried with backoff after a dropped connection (the retry asks the
 * server for its offset first, so nothing is sent twice), and resumable from a stored upload
 * URL after a reload. The last PATCH answers with the server's ingest result, or its refusal.
 */
import * as tus from 'tus-js-client';
import { authHeaders } from '../api/client.js';

export const UPLOAD_ENDPOINT = '/api/uploads';
/** Small enough that a flaky hospital line loses little per failure, large enough that requests stay few. */
export const CHUNK_BYTES = 4 * 1024 * 1024;
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000];

export interface UploadProgress {
  sent: number;
  total: number;
  /** Bytes per second over the last few seconds (null until measured). */
  speed: number | null;
  /** Seconds left at that speed. */
  eta: number | null;
}

export interface IngestResult {
  received?: number;
  added?: number;
  duplicates?: number;
}

export interface UploadHandle {
  done: Promise<IngestResult>;
  abort(): void;
}

export interface UploadOptions {
  caseId: string;
  zip: Blob;
  /** Resume this upload (the server is asked where it stopped) instead of creating one. */
  uploadUrl?: string | null;
  onUrl(url: string): void;
  onProgress(p: UploadProgress): void;
}

/** Speed over a sliding window, so a stall shows as a falling speed rather than an average. */
function speedMeter(windowMs = 5000) {
  const samples: Array<{ t: number; bytes: number }> = [];
  return (bytes: number): number | null => {
    const t = performance.now();
    samples.push({ t, bytes });
    while (samples.length > 2 && t - samples[0]!.t > windowMs) samples.shift();
    const first = samples[0]!;
    const dt = (t - first.t) / 1000;
    return dt > 0.25 ? Math.max(0, (bytes - first.bytes) / dt) : null;
  };
}

function refusal(e: Error): Error {
  const res = (e as tus.DetailedError).originalResponse;
  if (!res) return e;
  try {
    const body = JSON.parse(res.getBody()) as { error?: { code?: string; message?: string } };
    if (body.error?.message) return new Error(`the server refused the upload (${body.error.code ?? res.getStatus()}): ${body.error.message}`);
  } catch {
    // not JSON: tus's own message
  }
  return new Error(`the upload failed (HTTP ${res.getStatus()}): ${res.getBody().slice(0, 300)}`);
}

export function startUpload(o: UploadOptions): UploadHandle {
  const meter = speedMeter();
  let upload: tus.Upload | undefined;
  const done = new Promise<IngestResult>((resolve, reject) => {
    upload = new tus.Upload(o.zip, {
      endpoint: UPLOAD_ENDPOINT,
      ...(o.uploadUrl ? { uploadUrl: o.uploadUrl } : {}),
      // The file name is ours, never the user's folder name (which is often the patient's name).
      metadata: { caseId: o.caseId, filename: 'anonymised-series.zip' },
      headers: authHeaders(),
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_DELAYS,
      // The URL is kept by the page in IndexedDB with the zip, not in tus's localStorage list.
      storeFingerprintForResuming: false,
      onUploadUrlAvailable: () => {
        if (upload?.url) o.onUrl(upload.url);
      },
      onProgress: (sent, total) => {
        const speed = meter(sent);
        o.onProgress({ sent, total, speed, eta: speed ? (total - sent) / speed : null });
      },
      onSuccess: ({ lastResponse }) => {
        let result: IngestResult = {};
        try {
          result = JSON.parse(lastResponse.getBody() || '{}') as IngestResult;
        } catch {
          // a 204 from a resumed, already complete upload: no body
        }
        resolve(result);
      },
      onError: (e) => reject(refusal(e)),
    });
    upload.start();
  });
  return { done, abort: () => void upload?.abort() };
}

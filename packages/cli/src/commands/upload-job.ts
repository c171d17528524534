/**
 * After the upload: following the convert job (the server's event stream, falling back to
 * polling when the stream breaks) and downloading its artifacts with their SHA-256 checked
 * against the server's list before anything is written.
 */
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import { inputError, usageError } from '@scan2print/core';
import { isTransient, type ServerClient } from './upload-client.js';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobView {
  id: string;
  state: JobState;
  progress: number;
  stage: string | null;
  attempts?: number;
  error?: string;
  summary?: unknown;
}

export interface ArtifactView {
  id: string;
  jobId: string;
  kind: string;
  name: string;
  sha256: string;
  bytes: number;
}

const TERMINAL: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminal = (j: JobView) => TERMINAL.includes(j.state);

/** Reads `event: job` messages off a server-sent event stream, newest last; returns when the stream ends. */
async function readEvents(body: ReadableStream<Uint8Array>, onJob: (j: JobView) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buf = '';
  const reader = body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
    let end: number;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (event === 'job' && data.length > 0) onJob(JSON.parse(data.join('\n')) as JobView);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Follows a job until it ends: the event stream first; when it ends early or breaks (a
 * proxy, a restarted server) the job is read by polling, which also outlasts a server that
 * is briefly unreachable (up to `patienceMs` in a row).
 */
export async function followJob(c: ServerClient, id: string, onUpdate: (j: JobView) => void, patienceMs = 120_000): Promise<JobView> {
  let last: JobView | undefined;
  const seen = (j: JobView) => {
    last = j;
    onUpdate(j);
  };
  try {
    const r = await c.request('GET', `/api/jobs/${id}/events`, undefined, { accept: 'text/event-stream' });
    if (r.body) await readEvents(r.body, seen);
  } catch (e) {
    if (!isTransient(e) && !(e instanceof SyntaxError) && !(e instanceof TypeError)) throw e;
  }
  let failingSince: number | undefined;
  while (!last || !isTerminal(last)) {
    try {
      seen(await c.json<JobView>('GET', `/api/jobs/${id}`));
      failingSince = undefined;
    } catch (e) {
      if (!isTransient(e)) throw e;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > patienceMs) throw e;
    }
    if (!last || !isTerminal(last)) await sleep(1000);
  }
  return last;
}

/** The artifact an output file asks for: `.3mf`/`.stl` the model in that format, `.json`/`.html` the report. */
export function artifactFor(arts: ArtifactView[], output: string, want: 'model' | 'report-json' | 'report-html'): ArtifactView {
  const ext = extname(output).toLowerCase();
  const match =
    want === 'model'
      ? arts.filter((a) => a.kind === 'model' && extname(a.name).toLowerCase() === ext)
      : arts.filter((a) => a.kind === want);
  if (match.length === 0) {
    const have = arts.map((a) => a.name).join(', ') || 'none';
    throw inputError('NO_ARTIFACT', `the job made no ${want === 'model' ? `${ext} model` : want} to download (it made: ${have})`, output);
  }
  return match[0]!;
}

/** Model formats the server writes (convert-job.ts): refused up front for anything else. */
export function checkModelOutput(path: string): void {
  if (!/\.(3mf|stl)$/i.test(path)) {
    throw usageError('MESH_FORMAT', `${path}: the server writes .3mf and .stl models; name the output .3mf or .stl`);
  }
}

/** Downloads an artifact and checks its size and SHA-256 against the server's list; refuses a mismatch. */
export async function download(c: ServerClient, a: ArtifactView): Promise<Uint8Array> {
  const r = await c.request('GET', `/api/artifacts/${a.id}`);
  const bytes = new Uint8Array(await r.arrayBuffer());
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (bytes.length !== a.bytes || sha256 !== a.sha256) {
    throw inputError(
      'CHECKSUM_MISMATCH',
      `downloaded ${bytes.length} bytes with SHA-256 ${sha256}, but the server lists ${a.bytes} bytes with ${a.sha256}; ` +
        'nothing was written, try again',
      a.name,
    );
  }
  return bytes;
}

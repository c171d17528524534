/**
 * What `scan2print upload` sends: the inputs anonymised on this machine, in memory, with
 * the project key of `scan2print anonymise` (so both give the same UIDs and patient keys),
 * each checked again with core's findIdentifyingAttributes (the server's own gate) before
 * anything leaves, then cut into request-sized batches. Input paths stay on this machine:
 * files go out as `<new SOPInstanceUID>.dcm`.
 */
import {
  anonymisedFileName,
  createAnonymiser,
  describeIdentifiability,
  findIdentifyingAttributes,
  inputError,
  isScanError,
  type AnonymiseResult,
  type DicomSource,
} from '@scan2print/core';
import type { Progress } from '../util/progress.js';

export interface OutgoingFile {
  /** The name sent: `<new SOPInstanceUID>.dcm`. */
  name: string;
  bytes: Uint8Array;
  /** The input it came from (for this machine's messages only). */
  source: string;
}

export interface AnonymisedInputs {
  files: OutgoingFile[];
  notDicom: number;
  /** Inputs left out with a reason shown on stderr (DICOMDIR, a second copy of an instance). */
  skipped: number;
}

/**
 * Anonymises every DICOM input. A file that cannot be anonymised, or whose pixels may show
 * identity (BurnedInAnnotation YES, unless allowed), stops the upload before anything is
 * sent: a series with a hole or an identifiable slice is worse than none.
 */
export async function anonymiseInputs(
  sources: DicomSource[],
  key: Uint8Array,
  opts: { allowBurnedIn: boolean; progress: Progress; note: (line: string) => void },
): Promise<AnonymisedInputs> {
  const anon = createAnonymiser(key, { burnedInAnnotation: opts.allowBurnedIn ? 'warn' : 'error' });
  const files: OutgoingFile[] = [];
  const names = new Set<string>();
  let notDicom = 0;
  let skipped = 0;
  opts.progress.stage('anonymise');
  for (let i = 0; i < sources.length; i++) {
    const src = sources[i]!;
    opts.progress.update(i / sources.length, `${i}/${sources.length} files`);
    let r: AnonymiseResult;
    try {
      r = await anon.anonymise(await src.read(), src.name);
    } catch (e) {
      if (!isScanError(e)) throw e;
      if (e.code === 'NOT_DICOM') {
        notDicom++;
        continue;
      }
      if (e.code === 'ANON_DICOMDIR') {
        skipped++;
        continue;
      }
      const why = `cannot anonymise it, so nothing was uploaded (${e.message}); remove it from the inputs or fix it`;
      throw inputError(e.code, why, src.name, e);
    }
    if (r.findings.some((f) => f.code === 'BURNED_IN_ANNOTATION' && f.severity === 'error')) {
      const why = 'BurnedInAnnotation is YES (the pixels may show identity), so nothing was uploaded; --allow-burned-in sends it anyway';
      throw inputError('BURNED_IN_ANNOTATION', why, src.name);
    }
    const name = anonymisedFileName(r.summary.sopInstanceUid);
    if (names.has(name)) {
      opts.note(`${src.name}: the same instance (SOPInstanceUID) as an earlier input; sent once`);
      skipped++;
      continue;
    }
    // The server refuses what this check finds; finding it here means a bug, and nothing identifiable is sent.
    const check = findIdentifyingAttributes(r.bytes, name);
    if (!check.anonymised) {
      throw inputError('STILL_IDENTIFIABLE', `after anonymisation: ${describeIdentifiability(check)}; nothing was uploaded`, src.name);
    }
    names.add(name);
    files.push({ name, bytes: r.bytes, source: src.name });
  }
  opts.progress.update(1, `${sources.length}/${sources.length} files`);
  return { files, notDicom, skipped };
}

/**
 * Requests' worth of files, small enough for a steady progress bar and a cheap retry: at most
 * `maxBytes` (unless one file alone is larger) and `maxFiles` each.
 */
export function batches(files: OutgoingFile[], maxBytes = 8 * 1024 * 1024, maxFiles = 100): OutgoingFile[][] {
  const out: OutgoingFile[][] = [];
  let cur: OutgoingFile[] = [];
  let bytes = 0;
  for (const f of files) {
    if (cur.length > 0 && (bytes + f.bytes.length > maxBytes || cur.length >= maxFiles)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(f);
    bytes += f.bytes.length;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

export function formOf(batch: OutgoingFile[]): FormData {
  const fd = new FormData();
  for (const f of batch) fd.append('file', new Blob([f.bytes], { type: 'application/dicom' }), f.name);
  return fd;
}

/** A server message names the file as sent (`<UID>.dcm`); add the input it came from, which only this machine knows. */
export function withSourceNames(message: string, batch: OutgoingFile[]): string {
  const hit = batch.find((f) => message.includes(f.name));
  if (hit) return `${message} [input: ${hit.source}]`;
  const first = batch[0]!.source;
  const last = batch[batch.length - 1]!.source;
  return `${message} [a batch of ${batch.length} files: ${first}${batch.length > 1 ? ` … ${last}` : ''}]`;
}

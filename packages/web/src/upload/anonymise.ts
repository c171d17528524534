/**
 * Anonymisation in the browser (parse worker): core's PS3.15 Basic Profile anonymiser under
 * the organisation's project key, file by file, into one zip (fflate) named by the new
 * SOPInstanceUIDs. Only this zip is ever sent. The report says what was removed, by
 * attribute name and profile action, found by core's own check on each original file;
 * values never leave the worker.
 */
import { zipSync, type Zippable } from 'fflate';
import { anonymisedFileName, createAnonymiser, findIdentifyingAttributes, isScanError, type DicomSource, type Finding } from '@scan2print/core';
import type { AnonymisedReport, RemovedAttribute } from './messages.js';

type Progress = (fraction: number, message: string) => void;

/**
 * Stored, not deflated: deflate would take a 140-slice series from 74 to 41 MB, but costs about
 * 3 s of CPU in fflate (1 s in native zlib) before the upload can start, several times the
 * anonymisation itself; the user waits for "ready" on every case, while bandwidth is usually
 * the cheaper side in a hospital network. Revisit for slow links (CompressionStream is native).
 */
const ZIP_LEVEL = 0;

export async function anonymiseSources(
  sources: DicomSource[],
  key: Uint8Array,
  progress: Progress,
): Promise<{ zip: Uint8Array; report: AnonymisedReport }> {
  const anon = createAnonymiser(key, { burnedInAnnotation: 'error' });
  const entries: Zippable = {};
  const removed = new Map<string, RemovedAttribute>();
  const patientKeys = new Set<string>();
  const findings: Finding[] = [];
  const skipped: string[] = [];
  const files = { input: sources.length, written: 0, notDicom: 0, dicomdirs: 0, refused: 0, failed: 0 };
  let rawBytes = 0;
  for (const [i, src] of sources.entries()) {
    if (i % 8 === 0) progress(i / sources.length, `anonymising ${i}/${sources.length} files`);
    const bytes = await src.read();
    let r;
    try {
      r = anon.anonymiseSync(bytes, src.name);
    } catch (e) {
      if (!isScanError(e)) throw e;
      if (e.code === 'NOT_DICOM') files.notDicom++;
      else if (e.code === 'ANON_DICOMDIR') files.dicomdirs++;
      else {
        files.failed++;
        skipped.push(`file #${i + 1}: ${e.code}`);
      }
      continue;
    }
    const name = anonymisedFileName(r.summary.sopInstanceUid);
    findings.push(...r.findings);
    if (r.findings.some((f) => f.code === 'BURNED_IN_ANNOTATION' && f.severity === 'error')) {
      files.refused++;
      anon.discard(r);
      skipped.push(`file #${i + 1}: burned-in annotation (the pixels may show identity), not sent`);
      continue;
    }
    if (entries[name]) {
      anon.discard(r);
      skipped.push(`file #${i + 1}: the same instance as another file, sent once`);
      continue;
    }
    for (const p of findIdentifyingAttributes(bytes, src.name).problems) {
      const k = `${p.tag} ${p.action}`;
      const a = removed.get(k) ?? { tag: p.tag, keyword: p.keyword, action: p.action, files: 0 };
      a.files++;
      removed.set(k, a);
    }
    entries[name] = r.bytes;
    patientKeys.add(r.summary.patientKey);
    rawBytes += r.bytes.length;
    files.written++;
  }
  progress(1, 'zipping');
  const zip = zipSync(entries, { level: ZIP_LEVEL });
  const record = anon.record();
  const actions = (record.figures as { actions?: Record<string, number> }).actions ?? {};
  return {
    zip,
    report: {
      patientKeys: [...patientKeys],
      files,
      actions,
      removed: [...removed.values()].sort((a, b) => a.tag.localeCompare(b.tag)),
      skipped,
      findings,
      uidsReplaced: anon.uidsReplaced,
      zipBytes: zip.length,
      rawBytes,
    },
  };
}

/**
 * The convert job's import-side records: a digest of the files read (each hashed as the import
 * reads it) and which series was built, which others were found and left.
 */
import type { DicomSource } from '../dicom/import.js';
import type { SeriesSummary } from '../dicom/series.js';
import type { StageRecord } from './record.js';
import type { SeriesChoice } from './job-types.js';

const utf8 = new TextEncoder();

/** Reads each source once through the import, hashing it on the way (no extra read). */
export function hashingSources(sources: DicomSource[], hex: (b: Uint8Array) => string) {
  const perFile = new Map<string, { sha256: string; bytes: number }>();
  const wrapped: DicomSource[] = sources.map((s) => ({
    name: s.name,
    async read() {
      const b = await s.read();
      if (!perFile.has(s.name)) perFile.set(s.name, { sha256: hex(b), bytes: b.length });
      return b;
    },
  }));
  const digest = () => {
    const lines = [...perFile.keys()].sort().map((name) => `${perFile.get(name)!.bytes} ${perFile.get(name)!.sha256}\n`);
    return { files: perFile.size, sha256: hex(utf8.encode(lines.join(''))) };
  };
  return { sources: wrapped, digest };
}

/** The series-choice record and finding: which series was built, which others were found and left. */
export function seriesChoiceRecord(choice: SeriesChoice): StageRecord {
  const brief = (s: SeriesSummary) => ({
    uid: s.uid,
    number: s.number ?? null,
    description: s.description ?? null,
    modality: s.modality ?? null,
    studyUid: s.studyUid ?? null,
    files: s.files,
    frames: s.frames,
  });
  const record: StageRecord = {
    stage: 'import',
    method: 'series-choice',
    params: { rule: choice.rule },
    figures: { chosen: brief(choice.chosen), notChosen: choice.notChosen.map(brief) },
  };
  if (choice.notChosen.length) {
    const studies = new Set([choice.chosen, ...choice.notChosen].map((s) => s.studyUid ?? ''));
    record.findings = [
      {
        code: 'OTHER_SERIES_NOT_USED',
        severity: 'warn',
        message:
          `built series ${describeSeries(choice.chosen)} (${choice.rule}); not used: ${choice.notChosen.map(describeSeries).join('; ')}` +
          (studies.size > 1 ? ` — the input holds ${studies.size} studies: check it is one patient` : '') +
          ' (--series picks another)',
      },
    ];
  }
  return record;
}

export function describeSeries(s: SeriesSummary): string {
  return `${s.number !== undefined ? `#${s.number} ` : ''}${s.description ? `"${s.description}" ` : ''}${s.modality ?? '?'} ${s.frames} images, UID ${s.uid}`;
}

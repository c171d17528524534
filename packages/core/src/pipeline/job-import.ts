/**
 * The import half of a convert job from DICOM: read the sources (hashing each file as it is
 * read), choose the series, record both. Its own function so that the job does not hold the
 * import's output while the models are built: the CT volume is handed over once (takeVolume)
 * and kept afterwards only where an output needs it.
 */
import { importSeries } from '../dicom/import.js';
import type { Volume } from '../geometry/types.js';
import type { Finding, StageContext, StageRecord } from './record.js';
import type { ConvertJobHost, ConvertJobRequest, SeriesChoice } from './job-types.js';
import { hashingSources, seriesChoiceRecord } from './job-series.js';

export interface ImportedSeries {
  modality?: string;
  /** The import's findings (the assessment adds its own). */
  findings: Finding[];
  series: SeriesChoice;
  /** The CT volume, once: this object no longer holds it afterwards. */
  takeVolume: () => Volume;
}

export async function importForConvert(req: ConvertJobRequest, host: ConvertJobHost, records: StageRecord[], hex: (b: Uint8Array) => string, ctx: StageContext): Promise<ImportedSeries> {
  const hashing = hashingSources(req.sources, hex);
  const imp = await importSeries(hashing.sources, { ...(req.series !== undefined ? { series: req.series } : {}), inputLabel: req.inputLabel }, ctx);
  const digest = hashing.digest();
  records.push({
    stage: 'input',
    method: 'read-files',
    params: { checksum: 'SHA-256 over "<bytes> <sha256>\\n" of every source file, in sorted path order' },
    figures: { files: req.sources.length, skippedFiles: imp.output.skipped.notDicom.length, sha256: digest.sha256 },
  });
  const first = imp.output.instances[0];
  imp.record.figures.acquisition = first ? { ...first.acquisition, sliceThickness_mm: first.sliceThickness ?? null } : {};
  imp.record.figures.seriesInstanceUid = imp.output.chosen.uid;
  imp.record.figures.seriesDescription = imp.output.chosen.description ?? null;
  imp.record.peakRss_bytes ??= host.peakMemory?.();
  records.push(imp.record);
  const series: SeriesChoice = {
    chosen: imp.output.chosen,
    notChosen: imp.output.series.filter((s) => s.volume && s.uid !== imp.output.chosen.uid),
    rule: req.series !== undefined ? `--series ${req.series}` : 'the largest CT image series',
  };
  records.push(seriesChoiceRecord(series));
  host.onSeriesChoice?.(series);
  return {
    ...(imp.output.chosen.modality ? { modality: imp.output.chosen.modality } : {}),
    findings: imp.record.findings ?? [],
    series,
    takeVolume: handOnce(imp.output.volume),
  };
}

/** A getter that gives `value` once and then no longer holds it (a closure made here, not in importForConvert, whose closures share `imp`). */
function handOnce(value: Volume): () => Volume {
  let held: Volume | undefined = value;
  return () => {
    if (!held) throw new Error('importForConvert: the volume was already taken');
    const v = held;
    held = undefined;
    return v;
  };
}

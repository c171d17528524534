/**
 * The series list shown before anything is sent: core reads every header (scanSources),
 * groups them (groupSeries), and assembles each image series as the server's import would
 * (importSeries: tilt, spacing, gaps, duplicates) plus core's content check (assessVolume:
 * not CT, not HU). Runs in the parse worker.
 */
import { assessVolume, groupSeries, importSeries, scanSources, type DicomSource } from '@scan2print/core';
import type { SeriesView } from './messages.js';
import { sliceThumbnail, WINDOWS } from './thumbnail.js';

type Progress = (fraction: number, message: string) => void;

export interface Described {
  series: SeriesView[];
  notDicom: number;
  unreadable: number;
}

export async function describeSources(sources: DicomSource[], progress: Progress): Promise<Described> {
  const scan = await scanSources(sources, 8, (f, m) => progress(0.3 * f, m ?? 'reading headers'));
  const groups = groupSeries(scan.headers);
  const series: SeriesView[] = [];
  for (const [index, g] of groups.entries()) {
    const s = g.summary;
    const view: SeriesView = {
      index,
      number: s.number ?? null,
      modality: s.modality ?? null,
      description: s.description ?? null,
      orientation: s.orientation ?? null,
      kind: s.kind,
      volume: s.volume,
      files: s.files,
      slices: null,
      spacing_mm: null,
      tiltDegrees: null,
      thumbnails: null,
      findings: [],
      error: null,
    };
    if (s.volume) {
      const part = (f: number) => 0.3 + 0.7 * ((index + f) / groups.length);
      const members = g.members.map((m) => sources[scan.sourceIndex[m]!]!);
      try {
        const imp = await importSeries(members, {}, { progress: (f, m) => progress(part(f), m ?? `series ${index + 1}`) });
        const o = imp.output;
        const assess = assessVolume({ volume: o.volume, ...(s.modality ? { modality: s.modality } : {}) });
        view.slices = o.geometry.slices.length;
        view.spacing_mm = [o.geometry.spacingU_mm, o.geometry.spacingV_mm, o.sliceSteps.median];
        view.tiltDegrees = o.tiltDegrees;
        view.findings = [...(imp.record.findings ?? []), ...assess.output.findings];
        view.thumbnails = { bone: await sliceThumbnail(o.volume, WINDOWS.bone), soft: await sliceThumbnail(o.volume, WINDOWS.soft) };
      } catch (e) {
        view.error = e instanceof Error ? e.message : String(e);
      }
    }
    series.push(view);
  }
  return { series, notDicom: scan.notDicom.length, unreadable: scan.unreadable.length };
}

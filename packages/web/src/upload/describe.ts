/**
 * The series list shown before anything is sent: core reads every header (scanSources),
 * groups them (groupSeries), and assembles each image series as the server's import does
 * (assembleSeries and seriesFindings, the two halves of importSeries, here without reading
 * the headers a second time: tilt, spacing, gaps, duplicates, slice outliers) plus core's
 * content check (assessVolume: not CT, not HU). Runs in a parse worker.
 */
import { assembleSeries, assessVolume, decodeFrames, groupSeries, scanSources, seriesFindings, type DicomSource } from '@scan2print/core';
import type { SeriesView } from './messages.js';
import { sliceThumbnail, WINDOWS } from './thumbnail.js';

type Progress = (fraction: number, message: string) => void;

export interface Described {
  series: SeriesView[];
  notDicom: number;
  unreadable: number;
  /** The files left out, named: "path: why" (the first SKIPPED_NAMED of them). */
  skipped: string[];
}

/** How many left-out files the page names (the counts cover the rest). */
export const SKIPPED_NAMED = 10;

export async function describeSources(dropped: DicomSource[], progress: Progress): Promise<Described> {
  // Each file is read from disk once: scanSources reads it for its header and assembleSeries
  // again for its pixels (the 140-slice series is 72 MB, read twice before).
  const sources = dropped.map((s): DicomSource => {
    let bytes: Promise<Uint8Array> | undefined;
    return { name: s.name, read: () => (bytes ??= s.read()) };
  });
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
      const instances = g.members.map((m) => scan.headers[m]!);
      const read = (i: number) => sources[scan.sourceIndex[g.members[i]!]!]!.read();
      try {
        const asm = await assembleSeries({ instances, read, decode: decodeFrames }, undefined, (f, m) =>
          progress(part(f), m ?? `series ${index + 1}`));
        const geo = asm.geometry;
        const assess = assessVolume({ volume: asm.volume, ...(s.modality ? { modality: s.modality } : {}) });
        view.slices = geo.slices.length;
        view.spacing_mm = [geo.spacingU_mm, geo.spacingV_mm, geo.stepStats.median];
        view.tiltDegrees = geo.tiltDegrees;
        const header = seriesFindings({ geometry: geo, chosen: s, instances, outputStep_mm: asm.outputStep_mm, volume: asm.volume });
        view.findings = [...header, ...assess.output.findings];
        view.thumbnails = { bone: await sliceThumbnail(asm.volume, WINDOWS.bone), soft: await sliceThumbnail(asm.volume, WINDOWS.soft) };
      } catch (e) {
        view.error = e instanceof Error ? e.message : String(e);
      }
    }
    series.push(view);
  }
  const skipped = [...scan.notDicom.map((n) => `${n}: not DICOM`), ...scan.unreadable.map((u) => `${u.file}: ${u.reason}`)].slice(0, SKIPPED_NAMED);
  return { series, notDicom: scan.notDicom.length, unreadable: scan.unreadable.length, skipped };
}

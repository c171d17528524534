/**
 * File side of `scan2print segment`: the files it will write (checked before the work), the
 * DICOM import (via io/import-input.ts) and the DICOM SEG output that references the source series.
 */
import { createHash } from 'node:crypto';
import {
  segSourceFromInstances,
  writeDicomSeg as writeSeg,
  type HuRange,
  type ImportOutput,
  type LabelMap,
  type SegmentationOptions,
  type SegSegment,
  type StageRecord,
  type Volume,
} from '@scan2print/core';
import { importFromPaths } from '../io/import-input.js';
import { outputTime } from '../util/time.js';
import { plannedRanges } from '../convert/run-convert.js';
import { outputNameFor, probabilityName } from './segment-args.js';

/**
 * Every file `segment` may write for these options, known before any work: one label map per
 * threshold range (as convert names its models) and the probability field, which a soft
 * threshold or a named method (the forest) adds beside the labels.
 */
export function plannedSegmentOutputs(output: string, options: SegmentationOptions): string[] {
  const ranges = plannedRanges(options);
  const files = ranges.map((r) => (r ? outputNameFor(output, r, ranges.length > 1) : output));
  const m = options.method.method;
  if (options.soft || !['threshold', 'auto-threshold', 'region-grow'].includes(m)) files.push(probabilityName(output));
  return files;
}

export interface DicomInput {
  volume: Volume;
  record: StageRecord;
  imported: ImportOutput;
}

export async function loadDicomInput(paths: string[], series: string | undefined, opts: { json?: boolean } = {}): Promise<DicomInput> {
  const r = await importFromPaths(paths, { ...(series !== undefined ? { series } : {}), json: opts.json === true });
  return { volume: r.output.volume, record: r.record, imported: r.output };
}

/**
 * A binary DICOM SEG of `labels` referencing the imported series. The new UIDs derive
 * from a hash of the source series, the label bytes and the range, so the same input
 * and parameters give the same UIDs; the content date/time is now, or
 * SOURCE_DATE_EPOCH (seconds) when set, for byte-identical reruns.
 */
export async function writeDicomSeg(labels: LabelMap, src: DicomInput, range: HuRange | undefined, _records: StageRecord[]): Promise<Uint8Array> {
  const source = segSourceFromInstances(src.imported.instances);
  const h = createHash('sha256');
  h.update(source.seriesInstanceUid);
  h.update(JSON.stringify(range ?? null));
  h.update(labels.data);
  const uidRoot = `2.25.${BigInt(`0x${h.digest('hex').slice(0, 32)}`).toString()}`;
  const dateTime = outputTime();
  const soft = range !== undefined && range[1] <= 300;
  const segment: SegSegment = {
    labelValue: 1,
    label: range ? `${soft ? 'Tissue' : 'Bone'} HU ${range[0]}..${range[1]}` : (labels.labels?.[1] ?? 'Bone').slice(0, 64),
    ...(soft ? { type: { value: '85756007', scheme: 'SCT', meaning: 'Tissue' } } : {}),
  };
  return writeSeg(labels, source, {
    uidRoot,
    dateTime,
    segments: [segment],
    seriesDescription: 'scan2print segmentation',
    contentLabel: 'SCAN2PRINT',
  });
}

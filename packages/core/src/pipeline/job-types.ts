/**
 * The contract of the convert job (job.ts): what a host asks for (request, outputs), what it
 * supplies (sink, hashing, gzip and deflate, the forest model) and what it gets back. Types only, so a
 * host can depend on them without the job's code.
 */
import type { DicomSource } from '../dicom/import.js';
import type { SeriesSummary } from '../dicom/series.js';
import type { SegmentationOptions } from '../segment/pipeline.js';
import type { ConditionParams } from '../surface/condition.js';
import type { PlacementRule } from '../surface/edge/place.js';
import type { Report } from '../report/schema.js';
import type { ConvertModel } from './convert.js';
import type { StageContext } from './record.js';
import type { ForestModelBytes } from './convert-method.js';
import type { RawDeflater } from '../formats/zip-write.js';

/** Which files the job makes; names are file names or paths, passed back to the sink as given. */
export interface ConvertJobOutputs {
  /** One model file per name (.3mf, .stl, .obj, .ply); several thresholds add `_t<N>` to each. */
  models: string[];
  ascii?: boolean;
  /** A ~10k-face preview mesh per model. */
  preview?: string;
  /** The label map of each model (NIfTI, .nii or .nii.gz). */
  labels?: string;
  /**
   * The CT under the label maps (NIfTI, HU as int16), on the label maps' grid so a viewer
   * overlays the two: one per job, whatever the number of models.
   */
  volume?: string;
  /** A ~1.5-megavoxel copy of `volume` (geometry/preview.ts) that a viewer shows first. */
  volumePreview?: string;
  reportJson?: string;
  reportHtml?: string;
}

export interface ConvertJobRequest {
  sources: DicomSource[];
  /** The input as the user named it, for messages. */
  inputLabel: string;
  series?: string;
  segmentation: SegmentationOptions;
  condition: ConditionParams;
  decimateRatio?: number;
  /** Vertex placement (default edge: at the scanned edge; threshold: the threshold's iso-surface). A rebuild from a label map places from the smoothed mask either way. */
  placement?: PlacementRule;
  force?: boolean;
  tissue?: string;
  purpose?: string;
  outputs: ConvertJobOutputs;
  /** Time stamp of the report and the 3MF metadata (a host passes SOURCE_DATE_EPOCH for reproducible output). */
  now: Date;
  /**
   * Rebuild from a label map instead of segmenting (the web app's edited label map): names of
   * two of `sources`, the label map (NIfTI) and the CT it was drawn over (NIfTI on the same
   * grid, a convert job's `volume` output). The label map goes through the same per-model
   * stages (meshLabelMap), export and report as a convert; `segmentation` is only recorded.
   */
  fromLabels?: { labels: string; volume: string };
  /**
   * The trained forest for `method: forest | threshold-forest` when the request names one (a
   * server's lab model, its admin setting): it wins over the host's (ConvertJobHost.forestModel).
   */
  forestModel?: ForestModelBytes;
}

/** Receives each output as soon as its bytes exist, so a host can write (or stream) it and drop it. */
export type JobSink = (name: string, bytes: Uint8Array) => void | Promise<void>;

export interface ConvertJobHost extends StageContext {
  /** Where outputs go. Without one, they are returned in `files`. */
  sink?: JobSink;
  /** Hex SHA-256 (a host may pass a native one); default: the pure TypeScript one. */
  sha256Hex?: (bytes: Uint8Array) => string;
  /** Versions of the libraries the host runs (recorded). */
  libraries?: Record<string, string>;
  /**
   * gzip for the .nii.gz outputs (a host may pass a native one: the CT volume is tens of MB,
   * seconds in fflate); default: fflate. `level` is the one the job asks for (VOLUME_GZIP_LEVEL
   * for the CT volume, 6 for label maps); a host should use it. Must not stamp a time.
   */
  gzip?: (bytes: Uint8Array, level: number) => Uint8Array | Promise<Uint8Array>;
  /**
   * Raw DEFLATE for the 3MF's model part (a host may pass a native zlib: ~115 MB of XML for a
   * skull, ~1.5 s of CPU in fflate), chunk by chunk at the level core asks for
   * (THREEMF_HOST_DEFLATE_LEVEL); the contract is RawDeflater's. Default: fflate on the pool.
   */
  deflateRaw?: RawDeflater;
  /** Called once the series is chosen: a host can tell the user which series and which not. */
  onSeriesChoice?: (choice: SeriesChoice) => void;
  /**
   * The trained bone forest for `method: forest | threshold-forest` (convert-method.ts), asked
   * for only when a job names one: core reads no files, the host knows where its model lies.
   */
  forestModel?: () => ForestModelBytes | Promise<ForestModelBytes>;
}

export interface SeriesChoice {
  chosen: SeriesSummary;
  /** Other image volumes found in the input that were not used. */
  notChosen: SeriesSummary[];
  /** Why this one (the --series option, or the default rule). */
  rule: string;
}

export interface JobOutput {
  name: string;
  format: string;
  bytes: number;
  sha256: string;
}

export interface ConvertJobResult {
  report: Report;
  models: ConvertModel[];
  /** Every output, in the order made. */
  outputs: JobOutput[];
  /** The bytes of every output, when no sink was given. */
  files?: Map<string, Uint8Array>;
  /** Which series was built (none when built from a label map). */
  series?: SeriesChoice;
}

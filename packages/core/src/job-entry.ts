/**
 * `@scan2print/core/job`: the convert job and what its host needs around it (settings, series
 * choice, errors, the pool's contract, the 3MF deflater's contract), without the rest of core's
 * index (anonymisation, PACS, workflow, audit, print preparation, validation, evaluation, the
 * DICOM-SEG reader with dcmjs). The CLI's convert path imports this instead of the index, so a
 * `convert` starts with fewer modules to load (figures in the commit that added it). Everything
 * here is also exported by the index: the same modules, so the same classes.
 */
export { inputError, isScanError, ScanError, scanErrorFromWire, usageError, type ScanErrorWire } from './errors.js';
export { SCAN2PRINT_VERSION } from './version.js';
export type { WorkerPool } from './parallel/pool.js';
export { importSeries, type DicomSource, type ImportOutput } from './dicom/import.js';
export type { Report } from './report/schema.js';
export type { SegmentationOptions } from './segment/pipeline.js';
export type { ConditionParams } from './surface/condition.js';
export { MESH_ARG_DEFAULTS, type MeshArgs } from './pipeline/condition-args.js';
export type { StageResult } from './pipeline/record.js';
export type { ConvertModel } from './pipeline/convert.js';
export { SMOOTH_DEFAULTS } from './surface/smooth.js';
export { CONVERT_DEFAULT_TISSUE, convertJobSettings, type ConvertJobParams } from './pipeline/convert-params.js';
export { refuseHuOutsideCt } from './pipeline/segment-args.js';
export type { ForestModelBytes } from './pipeline/convert-method.js';
export { plannedOutputs, runConvertJob } from './pipeline/job.js';
export { describeSeries } from './pipeline/job-series.js';
export type { ConvertJobRequest, SeriesChoice } from './pipeline/job-types.js';
export { crc32, type RawDeflater } from './formats/zip-write.js';

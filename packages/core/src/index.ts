// Public surface of @scan2print/core. Each domain folder exports from its own index.
export * from './version.js';
export * from './errors.js';
export * from './geometry/index.js';
export * from './pipeline/record.js';
export * from './parallel/index.js';
export * from './report/index.js';
export * from './formats/nifti.js';
export * from './formats/label-file.js';
export * from './formats/dicom-seg.js';
export * from './formats/dicom-seg-read.js';
export * from './evaluate/index.js';
export * from './dicom/parse.js';
export * from './dicom/decode.js';
export * from './dicom/transfer-syntax.js';
export * from './segment/index.js';
export * from './anonymise/index.js';
export { importSeries, scanSources, type DicomSource, type ImportParams, type ImportOutput, type UnreadableFile, type ScanResult } from './dicom/import.js';
export { groupSeries, chooseSeries, classifyInstance, frameGeometry, type SeriesSummary, type SeriesGroup, type SeriesKind } from './dicom/series.js';
export { analyseStack, orientationAxes, type StackGeometry, type SlicePlacement } from './dicom/geometry.js';
export { assembleSeries, type AssembleOutput } from './dicom/assemble.js';
export * from './assess/index.js';
export { sampleTrilinear, sampleIndex, resampleToGrid } from './geometry/resample.js';
export { resampleStack, resampleStackSlab, type StackResamplePlan } from './geometry/resample-stack.js';
// Isosurface extraction and 2D→3D accuracy (issue 4).
export * from './surface/isosurface/index.js';
export * from './surface/accuracy.js';
export * from './testing/phantoms.js';
// Mesh conditioning, checks, gate and mesh formats (issue 4).
export { buildEdgeTable, labelShells, shellVolumes_mm3, area_mm2, bbox_mm, compactMesh, concatMeshes, cloneMesh, triangleCount, vertexCount, type EdgeTable } from './surface/mesh-utils.js';
export { signedVolume_mm3 as meshSignedVolume_mm3 } from './surface/mesh-utils.js';
export * from './surface/topology.js';
export * from './surface/cavities.js';
export * from './surface/cleanup.js';
export * from './surface/smooth.js';
export * from './surface/split-edges.js';
export * from './surface/distance.js';
export * from './surface/decimate.js';
export { DECIMATE_CROSSING_RETRIES } from './surface/decimate-untangled.js';
export * from './surface/gate.js';
export * from './surface/condition.js';
export * from './surface/self-intersections.js';
export * from './surface/untangle.js';
export * from './formats/stl.js';
export * from './formats/3mf.js';
export * from './formats/obj.js';
export * from './formats/ply.js';
export * from './formats/mesh-text.js';
export * from './formats/mesh-read.js';
// The convert pipeline, validation phantoms and synthetic series (issue 5).
export * from './pipeline/convert.js';
export * from './pipeline/job.js';
export * from './pipeline/defaults.js';
export * from './formats/dicom-ct-write.js';
export * from './synthetic/random.js';
export * from './synthetic/head.js';
export * from './validate/shapes.js';
export * from './validate/phantom-series.js';
export * from './validate/measure.js';
export * from './validate/run.js';
export * from './validate/rescan.js';
// Option parsing shared by every host, and the convert job's params schema (issue 9).
export * from './pipeline/segment-args.js';
export * from './pipeline/condition-args.js';
export * from './pipeline/convert-params.js';
// The case workflow: states, stage gates, transitions (issue 11).
export * from './workflow/index.js';
// The tamper-evident audit chain: canonical JSON, SHA-256, Ed25519 (issue 11).
export * from './audit/index.js';
// Case bundles: layout, zip and offline verification (issue 11).
export * from './bundle/index.js';
export * from './print/index.js';
// Anatomy: the learned classifier and the structure graph (issue 14); PACS objects (issue 15).
export * from './segment/forest/index.js';
export * from './anatomy/index.js';
export * from './pacs/index.js';

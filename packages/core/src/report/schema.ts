/**
 * The ISO/IEC 3532-1 model report, JSON schema version 1. Every field is derived from
 * stage records (see assemble.ts); `records` carries them verbatim so nothing is lost.
 * Bump REPORT_SCHEMA on any incompatible change and document it in docs/report-schema.md.
 */
import { z } from 'zod';

export const REPORT_SCHEMA = 'scan2print.report/1';

const finding = z.object({
  code: z.string(),
  severity: z.enum(['info', 'warn', 'error']),
  message: z.string(),
  files: z.array(z.string()).optional(),
});

const record = z.object({
  stage: z.string(),
  method: z.string(),
  params: z.record(z.string(), z.unknown()),
  figures: z.record(z.string(), z.unknown()),
  findings: z.array(finding).optional(),
  corrections: z.array(z.string()).optional(),
  notes: z.array(z.string()).optional(),
  wall_ms: z.number().optional(),
  peakRss_bytes: z.number().optional(),
});

const nullableNumber = z.number().nullable();

export const reportSchema = z.object({
  schema: z.literal(REPORT_SCHEMA),
  generatedAt: z.string(),
  software: z.object({ name: z.literal('scan2print'), version: z.string(), libraries: z.record(z.string(), z.string()) }),
  request: z.object({ purpose: z.string().nullable(), tissue: z.string(), forced: z.boolean() }),
  input: z.object({
    files: z.number(),
    skippedFiles: z.number(),
    sha256: z.string().nullable(),
    seriesInstanceUid: z.string().nullable(),
    seriesDescription: z.string().nullable(),
  }),
  acquisition: z.object({
    manufacturer: z.string().nullable(),
    model: z.string().nullable(),
    kvp: nullableNumber,
    exposure_mAs: nullableNumber,
    convolutionKernel: z.string().nullable(),
    sliceThickness_mm: nullableNumber,
    sliceStep_mm: nullableNumber,
    pixelSpacing_mm: z.array(z.number()).nullable(),
    dims: z.array(z.number()).nullable(),
    spacing_mm: z.array(z.number()).nullable(),
    direction: z.array(z.number()).nullable(),
    tiltDegrees: nullableNumber,
  }),
  findings: z.array(finding),
  segmentation: z.array(record),
  reconstruction: z.array(record),
  models: z.array(
    z.object({
      name: z.string(),
      threshold: z.unknown().optional(),
      checks: z.record(z.string(), z.unknown()),
      accuracy: z.record(z.string(), z.unknown()).nullable(),
      outputs: z.array(z.object({ file: z.string(), format: z.string(), bytes: z.number(), sha256: z.string() })),
    }),
  ),
  /** Structures identified by the anatomical graph (convert --anatomy); absent when no identification ran. Optional: schema 1 readers ignore it. */
  anatomy: z
    .object({
      graph: z.string(),
      region: z.array(z.string()),
      structures: z.array(
        z.object({ name: z.string(), side: z.enum(['left', 'right']).nullable(), volume_mm3: z.number(), bbox_mm: z.array(z.number()), confidence: z.number(), modelled: z.boolean() }),
      ),
      missing: z.array(z.object({ name: z.string(), reason: z.string() })),
      unassigned: z.array(z.object({ label: z.number(), volume_mm3: z.number(), reason: z.string() })),
    })
    .optional(),
  stages: z.array(z.object({ stage: z.string(), method: z.string(), wall_ms: nullableNumber, peakRss_bytes: nullableNumber })),
  records: z.array(record),
});

export type Report = z.infer<typeof reportSchema>;

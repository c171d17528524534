/**
 * What decimation did to the model's volume. Its other figures (the Hausdorff distance, the
 * accuracy line) can look harmless when most of the model is gone: the accuracy measures from
 * the model to the placed surface, so bone the decimation removed is not seen there, and a
 * ratio of 1e-9 left 16 % of a skull slab's volume with a clean accuracy line, exit 0. So the
 * volume before and after is recorded, a change of more than WARN_PERCENT is a warning, and
 * one of more than GATE_PERCENT fails the printability gate (gate.ts): that model is not the
 * anatomy at 1:1. A decimation to a tenth of a skull's triangles changes its volume by well
 * under 1 % (bench/results/surface-smooth-decimate.md).
 */
import { round, type Finding, type StageRecord } from '../pipeline/record.js';

export const DECIMATION_VOLUME_WARN_PERCENT = 5;
export const DECIMATION_VOLUME_GATE_PERCENT = 20;

/** Records the volumes on the decimation's record (and a finding past the warning); returns the change in percent. */
export function noteVolumeChange(record: StageRecord, before_mm3: number, after_mm3: number): number {
  const change = before_mm3 !== 0 ? (100 * (after_mm3 - before_mm3)) / Math.abs(before_mm3) : 0;
  record.figures.volumeBefore_mm3 = round(before_mm3, 1);
  record.figures.volumeAfter_mm3 = round(after_mm3, 1);
  record.figures.volumeChange_percent = round(change, 2);
  if (Math.abs(change) > DECIMATION_VOLUME_WARN_PERCENT) {
    const finding: Finding = {
      code: 'DECIMATION_VOLUME_CHANGED',
      severity: 'warn',
      message:
        `decimation changed the model's volume by ${round(change, 1)} % (${round(before_mm3, 0)} → ${round(after_mm3, 0)} mm³): ` +
        `thin parts were taken in or lost; ask for less reduction (a larger --decimate-ratio) or none` +
        (Math.abs(change) > DECIMATION_VOLUME_GATE_PERCENT ? ` (over ${DECIMATION_VOLUME_GATE_PERCENT} %: the printability gate refuses it)` : ''),
    };
    record.findings = [...(record.findings ?? []), finding];
  }
  return change;
}

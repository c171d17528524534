/**
 * `scan2print segment` options: the segmentation options are parsed in core
 * (pipeline/segment-args.ts, shared with convert and the server); here are the command's
 * own options and the names of its output files.
 */
import { CT_MAX_HU, type HuRange, type SegmentArgs } from '@scan2print/core';

// validate.ts reads its number lists with the same parser.
export { parseNumberList as numbers } from '@scan2print/core';

export interface SegmentCliOptions extends SegmentArgs {
  output: string;
  series?: string;
  json?: boolean;
  /** false with --no-anatomy. */
  anatomy?: boolean;
  force?: boolean;
  /** A registered segmentation method by name (e.g. forest) instead of a threshold. */
  method?: string;
}

/** Output file of one range when several are written: labels.nii.gz → labels_t200.nii.gz (or _t200-500). */
export function outputNameFor(output: string, range: HuRange, many: boolean): string {
  if (!many) return output;
  const m = /^(.*?)((\.nii(\.gz)?|\.dcm))$/i.exec(output);
  const base = m ? m[1]! : output;
  const ext = m ? m[2]! : '';
  const tag = range[1] === CT_MAX_HU ? `t${range[0]}` : `t${range[0]}-${range[1]}`;
  return `${base}_${tag}${ext}`;
}

/** The probability field's file beside the labels: labels.nii.gz → labels_probability.nii.gz. */
export function probabilityName(output: string): string {
  const m = /^(.*?)((\.nii(\.gz)?|\.dcm))$/i.exec(output);
  const base = m ? m[1]! : output;
  return `${base}_probability.nii.gz`;
}

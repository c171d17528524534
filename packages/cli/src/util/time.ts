/**
 * "Now" for everything we stamp into outputs (report time, 3MF CreationDate, SEG content
 * date): SOURCE_DATE_EPOCH (seconds, the reproducible-builds convention) when set, so
 * reruns are byte-identical; the real time otherwise.
 */
export function outputTime(): Date {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  return epoch !== undefined && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date();
}

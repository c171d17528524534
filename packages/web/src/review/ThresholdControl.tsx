/**
 * The live threshold: label 1 where HU ≥ the slider's value, re-segmented in a worker and
 * shown as the overlay; the measured latency (input → overlay on screen) is shown.
 */
import { useId } from 'react';

export interface ThresholdProps {
  value: number;
  range: [number, number];
  latency: { totalMs: number; workerMs: number; hu: number } | null;
  disabled: boolean;
  onInput: (hu: number, at: number) => void;
}

export function ThresholdControl({ value, range, latency, disabled, onInput }: ThresholdProps) {
  const id = useId();
  const lo = Math.max(-1000, Math.floor(range[0] / 10) * 10);
  const hi = Math.min(3000, Math.ceil(range[1] / 10) * 10);
  return (
    <fieldset className="review-group">
      <legend>Threshold</legend>
      <label htmlFor={id}>
        Bone from <output htmlFor={id} data-testid="threshold-value">{value}</output> HU
      </label>
      <input id={id} type="range" min={lo} max={Math.max(lo + 10, hi)} step={10} value={value} disabled={disabled}
        data-testid="threshold-slider" aria-valuetext={`${value} HU`}
        onChange={(e) => onInput(Number(e.target.value), performance.now())} />
      <p className="review-note" data-testid="threshold-latency" data-ms={latency ? Math.round(latency.totalMs) : ''} data-hu={latency?.hu ?? ''} aria-live="polite">
        {latency ? `preview ${Math.round(latency.totalMs)} ms (worker ${Math.round(latency.workerMs)} ms)` : 'Move the slider to re-segment in the browser.'}
      </p>
    </fieldset>
  );
}

/** Window presets (bone, soft tissue) and a free window width / level in HU. */
import type { Window } from './viewer.js';

export const PRESETS: Array<{ name: string; win: Window }> = [
  { name: 'Bone', win: { width: 2000, level: 500 } },
  { name: 'Soft tissue', win: { width: 400, level: 40 } },
];

export function WindowControls({ win, onChange }: { win: Window; onChange: (w: Window) => void }) {
  return (
    <fieldset className="review-group">
      <legend>Window</legend>
      <div className="review-row">
        {PRESETS.map((p) => (
          <button key={p.name} type="button" aria-pressed={p.win.width === win.width && p.win.level === win.level} onClick={() => onChange(p.win)}>
            {p.name}
          </button>
        ))}
      </div>
      <div className="review-row">
        <label>
          Width (HU)
          <input type="number" min={1} max={8000} step={10} value={win.width} data-testid="window-width"
            onChange={(e) => Number(e.target.value) > 0 && onChange({ ...win, width: Number(e.target.value) })} />
        </label>
        <label>
          Level (HU)
          <input type="number" min={-1024} max={3071} step={10} value={win.level} data-testid="window-level"
            onChange={(e) => e.target.value !== '' && onChange({ ...win, level: Number(e.target.value) })} />
        </label>
      </div>
    </fieldset>
  );
}

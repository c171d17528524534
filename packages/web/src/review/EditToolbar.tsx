/** Editing tools: navigate, paint, erase, remove an island, keep one component; brush size in mm; undo/redo. */
import type { Tool } from './controller.js';

const TOOLS: Array<{ tool: Tool; name: string; key: string }> = [
  { tool: 'navigate', name: 'Navigate', key: 'n' },
  { tool: 'paint', name: 'Paint', key: 'p' },
  { tool: 'erase', name: 'Erase', key: 'e' },
  { tool: 'remove-island', name: 'Remove island', key: 'r' },
  { tool: 'keep-component', name: 'Keep component', key: 'k' },
];

export const TOOL_KEYS = Object.fromEntries(TOOLS.map((t) => [t.key, t.tool])) as Record<string, Tool>;

export interface EditToolbarProps {
  tool: Tool;
  brush_mm: number;
  spacing: [number, number, number];
  canUndo: boolean;
  canRedo: boolean;
  undoLabel: string | null;
  redoLabel: string | null;
  disabled: boolean;
  onTool: (t: Tool) => void;
  onBrush: (mm: number) => void;
  onUndo: () => void;
  onRedo: () => void;
}

export function EditToolbar(p: EditToolbarProps) {
  const inPlane = Math.min(p.spacing[0], p.spacing[1]);
  return (
    <fieldset className="review-group" disabled={p.disabled}>
      <legend>Edit the label map</legend>
      <div className="review-row" role="radiogroup" aria-label="Tool">
        {TOOLS.map((t) => (
          <button key={t.tool} type="button" role="radio" aria-checked={p.tool === t.tool} data-testid={`tool-${t.tool}`}
            aria-keyshortcuts={t.key} title={`${t.name} (${t.key})`} onClick={() => p.onTool(t.tool)}>
            {t.name}
          </button>
        ))}
      </div>
      <label>
        Brush radius: <span data-testid="brush-mm">{p.brush_mm.toFixed(1)} mm</span> (≈ {(p.brush_mm / inPlane).toFixed(1)} voxels in plane)
        <input type="range" min={0.5} max={20} step={0.5} value={p.brush_mm} data-testid="brush-size" aria-valuetext={`${p.brush_mm} mm`}
          onChange={(e) => p.onBrush(Number(e.target.value))} />
      </label>
      <div className="review-row">
        <button type="button" disabled={!p.canUndo} onClick={p.onUndo} data-testid="undo" aria-keyshortcuts="Control+Z">
          Undo{p.undoLabel ? ` ${p.undoLabel}` : ''}
        </button>
        <button type="button" disabled={!p.canRedo} onClick={p.onRedo} data-testid="redo" aria-keyshortcuts="Control+Shift+Z Control+Y">
          Redo{p.redoLabel ? ` ${p.redoLabel}` : ''}
        </button>
      </div>
    </fieldset>
  );
}

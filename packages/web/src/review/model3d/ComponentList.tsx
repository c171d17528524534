/** The model's components, each with a checkbox to show or hide it, its triangle count, volume and size. */
import type { MeshPart } from './components.js';

interface Props {
  parts: readonly MeshPart[];
  hidden: ReadonlySet<number>;
  colors: ReadonlyArray<[number, number, number]>;
  onToggle(part: number, visible: boolean): void;
  idPrefix: string;
}

export function ComponentList({ parts, hidden, colors, onToggle, idPrefix }: Props) {
  return (
    <fieldset className="model3d-parts" data-testid="model3d-components">
      <legend>Components ({parts.length})</legend>
      <ul>
        {parts.map((p, i) => {
          const size = p.bboxMax.map((x, a) => (x - p.bboxMin[a]!).toFixed(0)).join(' × ');
          const [r, g, b] = colors[i % colors.length]!;
          const id = `${idPrefix}-${i}`;
          return (
            <li key={i}>
              <input
                id={id}
                type="checkbox"
                checked={!hidden.has(i)}
                onChange={(e) => onToggle(i, e.target.checked)}
                data-testid="model3d-component-toggle"
                data-triangles={p.triangles}
              />
              <label htmlFor={id} className="model3d-inline">
                <span className="model3d-swatch" aria-hidden="true" ref={(el) => el?.style.setProperty('background', `rgb(${r},${g},${b})`)} />
                Component {i + 1}: {p.triangles.toLocaleString('en')} triangles, {(Math.abs(p.volume_mm3) / 1000).toFixed(2)} cm³
                {p.volume_mm3 < 0 ? ' (a cavity)' : ''}, {size} mm
              </label>
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}

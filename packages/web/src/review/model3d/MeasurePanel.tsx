/** The two picked points of a measurement (LPS mm) and the distance between them. */
import { formatPoint, type Vec3 } from './geometry.js';

interface Props {
  points: readonly Vec3[];
  distance: number | null;
  onClear(): void;
}

export function MeasurePanel({ points, distance, onClear }: Props) {
  return (
    <section className="model3d-measure" aria-labelledby="model3d-measure-title">
      <h3 id="model3d-measure-title">Measure</h3>
      <p>Click two points on the model (or aim with the view buttons and pick the point at the centre).</p>
      <ol data-testid="measure-points">
        {points.map((p, i) => (
          <li key={i} data-lps={JSON.stringify(p)}>
            Point {i + 1}: {formatPoint(p)} mm (LPS)
          </li>
        ))}
      </ol>
      <p aria-live="polite">
        {distance === null ? (
          points.length === 1 ? 'Pick the second point.' : 'Pick the first point.'
        ) : (
          <>
            Distance: <output data-testid="measure-distance" data-mm={distance}>{distance.toFixed(1)} mm</output>
          </>
        )}
      </p>
      <button type="button" onClick={onClear} disabled={points.length === 0}>Clear the measurement</button>
    </section>
  );
}

/** The series found in the drop, before anything is sent: thumbnail, slices, spacing, findings. */
import { useEffect, useState } from 'react';
import type { Finding } from '@scan2print/core';
import type { SeriesView } from './messages.js';
import { mm } from './format.js';

function useObjectUrl(blob: Blob | undefined): string | undefined {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    if (!blob) return;
    const u = URL.createObjectURL(blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [blob]);
  return url;
}

function Thumbnail({ s, window: w }: { s: SeriesView; window: 'bone' | 'soft' }) {
  const url = useObjectUrl(s.thumbnails?.[w]);
  if (!url) return null;
  const label = w === 'bone' ? 'bone window' : 'soft-tissue window';
  return (
    <figure className="thumb">
      <img src={url} alt={`Middle slice of series ${s.number ?? s.index + 1}, ${label}`} />
      <figcaption>{label}</figcaption>
    </figure>
  );
}

export function FindingList({ findings }: { findings: Finding[] }) {
  if (findings.length === 0) return <p className="finding-none">No findings: the series looks like a regular CT stack.</p>;
  return (
    <ul className="findings" aria-label="Findings">
      {findings.map((f, i) => (
        <li key={i} className={`finding ${f.severity}`} data-testid="upload-finding" data-code={f.code}>
          <strong>{f.code.replace(/_/g, ' ').toLowerCase()}</strong> ({f.severity}): {f.message}
        </li>
      ))}
    </ul>
  );
}

function SeriesItem({ s }: { s: SeriesView }) {
  const title = [`Series ${s.number ?? s.index + 1}`, s.modality, s.description, s.orientation].filter(Boolean).join(' · ');
  return (
    <li className="series" data-testid="upload-series">
      <h4>{title}</h4>
      <div className="series-body">
        {s.thumbnails && (
          <div className="thumbs">
            <Thumbnail s={s} window="bone" />
            <Thumbnail s={s} window="soft" />
          </div>
        )}
        <div>
          <dl className="facts">
            <dt>Files</dt>
            <dd>{s.files}</dd>
            {s.slices !== null && (
              <>
                <dt>Slices</dt>
                <dd data-testid="upload-slices">{s.slices}</dd>
              </>
            )}
            {s.spacing_mm && (
              <>
                <dt>Spacing</dt>
                <dd>
                  {mm(s.spacing_mm[0])} × {mm(s.spacing_mm[1])} mm in plane, {mm(s.spacing_mm[2])} mm between slices
                </dd>
              </>
            )}
            {s.tiltDegrees !== null && Math.abs(s.tiltDegrees) > 0.01 && (
              <>
                <dt>Gantry tilt</dt>
                <dd>{s.tiltDegrees.toFixed(1)}° (corrected)</dd>
              </>
            )}
            {!s.volume && (
              <>
                <dt>Kind</dt>
                <dd>{s.kind}: not an image volume, not used for the model</dd>
              </>
            )}
          </dl>
          {s.error && <p className="error">This series cannot be used: {s.error}</p>}
          {s.volume && !s.error && <FindingList findings={s.findings} />}
        </div>
      </div>
    </li>
  );
}

export function SeriesList({ series }: { series: SeriesView[] }) {
  if (series.length === 0) return <p className="error">No DICOM series found in these files.</p>;
  return (
    <ul className="series-list" aria-label="Series found">
      {series.map((s) => (
        <SeriesItem key={s.index} s={s} />
      ))}
    </ul>
  );
}

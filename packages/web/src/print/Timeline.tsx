/**
 * The schedule as an SVG timeline: one row per printer, outages hatched, plates as bars
 * labelled with their cases, late plates in red with a stripe and "late" in their label (not
 * colour alone). Each plate is a focusable element with its full description as its name;
 * arrow keys move between plates (left/right in a row, up/down between rows) and the focused
 * plate's details are read out below. The page also gives the same facts as tables.
 */
import { useRef, useState, type KeyboardEvent } from 'react';
import { hMm, whenText } from './format.js';
import type { PlateBar, Timeline as TimelineData, TimelineRow } from './timeline.js';

const W = 1000;
const LABEL_W = 170;
const ROW_H = 44;
const HEAD_H = 28;
const TRACK_W = W - LABEL_W - 10;
/** Room a tick's label ("30 Nov 14:00" at 10 px) needs. */
const TICK_LABEL_W = 66;

/** One plate in words: printer, times, cases, due dates, late. */
export function plateWords(row: TimelineRow, p: PlateBar): string {
  const jobs = p.jobs.map((j) => `${j.caseTitle}${j.due ? ` (due ${whenText(j.due)})` : ''}`).join('; ');
  return `${row.printer.name}: plate ${whenText(p.start)} to ${whenText(p.end)} (${hMm((new Date(p.end).getTime() - new Date(p.start).getTime()) / 1000)}), ${jobs}${p.late ? ', LATE' : ''}`;
}

function fit(text: string, px: number): string {
  const n = Math.floor(px / 6.6);
  if (n < 2) return '';
  return text.length <= n ? text : `${text.slice(0, n - 1)}…`;
}

export function Timeline({ t, now }: { t: TimelineData; now: number }) {
  const [focused, setFocused] = useState<string | null>(null);
  const refs = useRef(new Map<string, SVGGElement>());
  const height = HEAD_H + t.rows.length * ROW_H + 4;
  const xOf = (f: number) => LABEL_W + f * TRACK_W;
  const nowF = (now - t.from) / (t.to - t.from);

  function move(e: KeyboardEvent, r: number, i: number) {
    const go = (rr: number, ii: number) => {
      const row = t.rows[rr];
      const p = row?.plates[Math.max(0, Math.min(ii, row.plates.length - 1))];
      if (p) {
        e.preventDefault();
        refs.current.get(p.key)?.focus();
      }
    };
    if (e.key === 'ArrowRight') go(r, i + 1);
    else if (e.key === 'ArrowLeft') go(r, i - 1);
    else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const d = e.key === 'ArrowDown' ? 1 : -1;
      for (let rr = r + d; rr >= 0 && rr < t.rows.length; rr += d) {
        if (t.rows[rr]!.plates.length) return go(rr, i);
      }
    }
  }

  const focusedWords = (() => {
    for (const row of t.rows) for (const p of row.plates) if (p.key === focused) return plateWords(row, p);
    return '';
  })();

  return (
    <figure className="timeline" data-testid="timeline">
      <figcaption id="timeline-caption">
        Timeline from {whenText(new Date(t.from).toISOString())} to {whenText(new Date(t.to).toISOString())}: one row per printer. Tab or the arrow keys move between plates.
      </figcaption>
      <svg viewBox={`0 0 ${W} ${height}`} width="100%" role="group" aria-labelledby="timeline-caption" className="timeline-svg">
        <defs>
          <pattern id="tl-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="8" height="8" fill="#eceff3" />
            <line x1="0" y1="0" x2="0" y2="8" stroke="#5b6570" strokeWidth="3" />
          </pattern>
          <pattern id="tl-late" width="10" height="10" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)">
            <rect width="10" height="10" fill="#b3261e" />
            <line x1="0" y1="0" x2="0" y2="10" stroke="#8c1d18" strokeWidth="4" />
          </pattern>
        </defs>
        <g aria-hidden="true">
          {t.ticks.map((k) => (
            <g key={k.at}>
              <line x1={xOf(k.x)} x2={xOf(k.x)} y1={HEAD_H - 6} y2={height} className="tl-grid" />
              {/* The last tick's label would run past the edge. */}
              {xOf(k.x) + TICK_LABEL_W <= W && (
                <text x={xOf(k.x) + 3} y={HEAD_H - 10} className="tl-tick">
                  {whenText(new Date(k.at).toISOString())}
                </text>
              )}
            </g>
          ))}
          {nowF >= 0 && nowF <= 1 && <line x1={xOf(nowF)} x2={xOf(nowF)} y1={HEAD_H - 6} y2={height} className="tl-now" />}
        </g>
        {t.rows.map((row, r) => {
          const y = HEAD_H + r * ROW_H;
          return (
            <g key={row.printer.id} data-testid="timeline-row" data-printer-id={row.printer.id} data-status={row.printer.status}>
              <text x={4} y={y + ROW_H / 2 - 2} className="tl-name">
                {fit(row.printer.name, LABEL_W - 8)}
              </text>
              <text x={4} y={y + ROW_H / 2 + 13} className={`tl-state tl-state-${row.printer.status}`}>
                {row.printer.status === 'down' ? 'down' : 'up'}
              </text>
              <line x1={LABEL_W} x2={W - 10} y1={y + ROW_H} y2={y + ROW_H} className="tl-row-line" aria-hidden="true" />
              {row.outages.map((o, k) => (
                <rect
                  key={`o${k}`}
                  x={xOf(o.x)}
                  y={y + 4}
                  width={Math.max(o.w * TRACK_W, 2)}
                  height={ROW_H - 8}
                  fill="url(#tl-hatch)"
                  className="tl-outage"
                  data-testid="timeline-outage"
                  role="img"
                  aria-label={`${row.printer.name} down from ${whenText(o.start)}${o.open ? ' until further notice' : ` to ${whenText(o.end)}`}${o.note ? ` (${o.note})` : ''}`}
                />
              ))}
              {row.plates.map((p, i) => {
                const wpx = Math.max(p.w * TRACK_W, 4);
                const words = plateWords(row, p);
                return (
                  <g
                    key={p.key}
                    ref={(el) => {
                      if (el) refs.current.set(p.key, el);
                      else refs.current.delete(p.key);
                    }}
                    tabIndex={0}
                    role="img"
                    aria-label={words}
                    className={`tl-plate${p.late ? ' tl-plate-late' : ''}`}
                    data-testid="timeline-plate"
                    data-printer-id={row.printer.id}
                    data-late={p.late}
                    data-job-ids={p.jobs.map((j) => j.id).join(' ')}
                    data-start={p.start}
                    onFocus={() => setFocused(p.key)}
                    onBlur={() => setFocused((f) => (f === p.key ? null : f))}
                    onKeyDown={(e) => move(e, r, i)}
                  >
                    <title>{words}</title>
                    <rect x={xOf(p.x)} y={y + 7} width={wpx} height={ROW_H - 14} rx={3} fill={p.late ? 'url(#tl-late)' : '#1f5f8b'} />
                    <text x={xOf(p.x) + 4} y={y + ROW_H / 2 + 4} className="tl-label">
                      {fit(`${p.late ? 'LATE: ' : ''}${p.label}`, wpx - 6)}
                    </text>
                  </g>
                );
              })}
            </g>
          );
        })}
      </svg>
      <p className="tl-focused" aria-live="polite" data-testid="timeline-focused">
        {focusedWords}
      </p>
      <p className="hint tl-legend">
        <span className="tl-key tl-key-plate" aria-hidden="true" /> plate
        <span className="tl-key tl-key-late" aria-hidden="true" /> late plate (ends after a due date)
        <span className="tl-key tl-key-outage" aria-hidden="true" /> printer down
      </p>
    </figure>
  );
}

import { describe, expect, it } from 'vitest';
import { createProgress, overallProgress } from './progress.js';

/** A terminal stand-in: records what is drawn. */
function fakeTty(columns: number | undefined) {
  const writes: string[] = [];
  return { stream: { isTTY: true, columns, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream, writes };
}

const lines = (writes: string[]) => writes.map((w) => w.replace('\r\x1b[2K', '')).filter((w) => w !== '');

describe('progress line', () => {
  it('cuts nothing on a terminal that reports 0 (or no) columns, and leaves the last column free otherwise', () => {
    for (const cols of [0, undefined]) {
      const t = fakeTty(cols);
      const p = createProgress({ stream: t.stream });
      p.stage('report');
      p.update(1, 'written');
      expect(lines(t.writes).at(-1)).toMatch(/100%\s+\d+\.\ds {2}written$/);
    }
    const t = fakeTty(20);
    const p = createProgress({ stream: t.stream });
    p.update(1, 'a long message that does not fit');
    expect(lines(t.writes).at(-1)!.length).toBe(19);
  });

  it('an overall percentage never goes back', () => {
    const t = fakeTty(200);
    const p = createProgress({ stream: t.stream });
    const overall = overallProgress(p);
    for (const f of [0.1, 0.5, 0.3, 1, 0.2]) overall(f, 'x');
    const pcts = lines(t.writes).map((l) => Number(/(\d+)%/.exec(l)![1]));
    for (let i = 1; i < pcts.length; i++) expect(pcts[i]).toBeGreaterThanOrEqual(pcts[i - 1]!);
    expect(pcts.at(-1)).toBe(100);
  });
});

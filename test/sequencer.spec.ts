/**
 * The spec order (test/sequencer.ts): slowest first, with no two browser specs in the two test
 * processes at once where the costs say so, on the committed table of durations and on made-up ones.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { drivesBrowser, spacedSlowestFirst } from './sequencer.js';

interface Spec {
  name: string;
  cost: number;
}

/** Each spec's start and end when `processes` take the specs in `order`, each the next when it comes free. */
function simulate(order: readonly Spec[], processes: number): Array<Spec & { start: number; end: number }> {
  const until = new Array<number>(processes).fill(0);
  return order.map((s) => {
    const p = until.indexOf(Math.min(...until));
    const start = until[p]!;
    until[p] = start + s.cost;
    return { ...s, start, end: until[p]! };
  });
}

function overlappingBrowserPairs(order: readonly Spec[], processes: number): string[] {
  const runs = simulate(order, processes).filter((r) => drivesBrowser(r.name));
  const pairs: string[] = [];
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) if (runs[i]!.start < runs[j]!.end && runs[j]!.start < runs[i]!.end) pairs.push(`${runs[i]!.name} + ${runs[j]!.name}`);
  }
  return pairs;
}

const order = (specs: Spec[], processes = 2) => spacedSlowestFirst(specs, (s) => s.cost, (s) => s.name, processes);

describe('spec order', () => {
  it('keeps browser specs apart where plain slowest-first runs them two by two', () => {
    const specs: Spec[] = [
      { name: 'test/browser/a.spec.ts', cost: 60 },
      { name: 'test/browser/b.spec.ts', cost: 55 },
      { name: 'test/browser/c.spec.ts', cost: 50 },
      { name: 'packages/core/x.spec.ts', cost: 45 },
      { name: 'packages/core/y.spec.ts', cost: 40 },
      { name: 'packages/cli/z.spec.ts', cost: 35 },
      { name: 'packages/cli/w.spec.ts', cost: 30 },
    ];
    const slowestFirst = [...specs].sort((a, b) => b.cost - a.cost);
    expect(overlappingBrowserPairs(slowestFirst, 2).length).toBeGreaterThan(0);
    const spaced = order(specs);
    expect(overlappingBrowserPairs(spaced, 2)).toEqual([]);
    expect(spaced.map((s) => s.name).sort()).toEqual(specs.map((s) => s.name).sort());
    // still slowest first among the specs of each kind
    const costsOf = (browser: boolean) => spaced.filter((s) => drivesBrowser(s.name) === browser).map((s) => s.cost);
    expect(costsOf(true)).toEqual([...costsOf(true)].sort((a, b) => b - a));
    expect(costsOf(false)).toEqual([...costsOf(false)].sort((a, b) => b - a));
  });

  it('runs browser specs two at once only when nothing else is left, and orders ties by name', () => {
    const specs: Spec[] = [
      { name: 'test/browser/b.spec.ts', cost: 10 },
      { name: 'test/browser/a.spec.ts', cost: 10 },
      { name: 'test/browser/c.spec.ts', cost: 10 },
    ];
    expect(order(specs).map((s) => s.name)).toEqual(['test/browser/a.spec.ts', 'test/browser/b.spec.ts', 'test/browser/c.spec.ts']);
    expect(order(specs, 1).map((s) => s.name)).toEqual(['test/browser/a.spec.ts', 'test/browser/b.spec.ts', 'test/browser/c.spec.ts']);
  });

  it('on the committed table: no two browser specs at once, and the costliest spec starts first', () => {
    const table = JSON.parse(readFileSync(new URL('./spec-durations.json', import.meta.url), 'utf8')) as Record<string, number>;
    const specs = Object.entries(table).map(([name, cost]) => ({ name, cost }));
    expect(specs.filter((s) => drivesBrowser(s.name)).length).toBeGreaterThan(5);
    const spaced = order(specs);
    expect(overlappingBrowserPairs(spaced, 2)).toEqual([]);
    expect(spaced[0]!.cost).toBe(Math.max(...specs.map((s) => s.cost)));
  });
});

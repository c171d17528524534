import { describe, expect, it } from 'vitest';
import { hypot3 } from './hypot.js';

describe('hypot3', () => {
  it("gives Math.hypot's bytes (placement's output must not move by an ulp)", () => {
    let seed = 1;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    let differ = 0;
    for (let i = 0; i < 300_000; i++) {
      const v = [0, 1, 2].map(() => {
        const x = rnd() * 2 - 1;
        switch (i % 4) {
          case 1: return Math.fround(x * 300); // float32 coordinates, HU gradients
          case 2: return x * 10 ** Math.floor(rnd() * 40 - 20);
          case 3: return rnd() < 0.3 ? 0 : x;
          default: return x;
        }
      }) as [number, number, number];
      if (!Object.is(hypot3(...v), Math.hypot(...v))) differ++;
    }
    expect(differ).toBe(0);
    const edges: Array<[number, number, number]> = [[0, 0, 0], [-0, 0, -0], [NaN, 1, 2], [Infinity, NaN, 1], [1, -Infinity, 0], [1e308, 1e308, 1e308], [5e-324, 5e-324, 0], [-3, 4, 0]];
    for (const e of edges) expect(Object.is(hypot3(...e), Math.hypot(...e))).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { setNewest } from './newest-map.js';

describe('setNewest', () => {
  it('keeps at most max entries, dropping the ones set longest ago', () => {
    const m = new Map<string, number>();
    for (const [k, v] of [['a', 1], ['b', 2], ['c', 3]] as const) setNewest(m, k, v, 2);
    expect([...m]).toEqual([['b', 2], ['c', 3]]);
  });

  it('an entry set again becomes the newest, so it outlives older ones', () => {
    const m = new Map<string, number>();
    setNewest(m, 'a', 1, 2);
    setNewest(m, 'b', 2, 2);
    setNewest(m, 'a', 3, 2);
    setNewest(m, 'c', 4, 2);
    expect([...m]).toEqual([['a', 3], ['c', 4]]);
  });
});

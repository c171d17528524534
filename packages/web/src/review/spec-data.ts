/**
 * Real data for the review specs (vitest in Node): files of ../shared/data beside the
 * repository (SCAN2PRINT_DATA overrides it). The web package is typed for the browser, so
 * Node's fs is reached through a dynamic import the type checker does not follow.
 */
interface NodeFs {
  readFileSync(path: string): Uint8Array;
}

interface NodeProcess {
  env: Record<string, string | undefined>;
}

export async function readData(...parts: string[]): Promise<Uint8Array> {
  const fs = (await import(/* @vite-ignore */ `node:${'fs'}`)) as NodeFs;
  const env = (globalThis as unknown as { process: NodeProcess }).process.env;
  const root = env.SCAN2PRINT_DATA ?? new URL('../../../../../shared/data/', import.meta.url).pathname;
  return new Uint8Array(fs.readFileSync(`${root.replace(/\/$/, '')}/${parts.join('/')}`));
}

export const TOTALSEG = ['labelled', 'totalsegmentator'] as const;

/** First index where two arrays differ, -1 when equal (vitest's deep equality is far too slow for megavoxel arrays). */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

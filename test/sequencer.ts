/**
 * The order vitest hands spec files to its two test processes: the slowest first, so the two
 * processes end together instead of one running a 2-minute spec alone at the end.
 *
 * vitest's own order needs the results of an earlier run on this machine; a fresh clone (CI)
 * has none, and vitest then runs the largest files first, which are not always the slowest:
 * by size, readme.spec (about a minute) is the 53rd of the 79 files of project 'isolated' and
 * keep-volume.spec (two converts, half a minute) the 76th, so either may run alone at the end.
 * So the durations of full runs are kept here (test/spec-durations.json, seconds of wall time
 * on a loaded 2-core machine: only their order matters). A spec not listed there (a new one)
 * counts by this machine's last run if there is one, else as NEW_SPEC_S: early enough that a
 * slow new spec does not end the run alone.
 *
 * Two specs that drive Chromium at once oversubscribe the two cores: each browser runs several
 * busy processes (renderer, SwiftShader's WebGL on the CPU) beside its test server. With the
 * table refreshed on an AMD host the browser specs, the slowest there, came first and ran two by
 * two: upload.spec 54 → 76 s, workflow.spec 54 → 82 s, the run 895 → 1004 s. So the order is the
 * two processes' schedule simulated with the table: the process that comes free first takes the
 * slowest spec left, but not a browser spec while the other process still runs one, if any other
 * spec is left. vitest hands the files out in this order, each to the first process free, so a
 * table that is about right keeps the browser specs apart; where it is off, the order is still a
 * slowest-first one.
 *
 * Refresh the table after specs change a lot:
 *   npx vitest run > /tmp/r.log 2>&1; node test/spec-durations.mjs /tmp/r.log
 * Each vitest project (isolated, shared-modules) runs as its own batch, one after the other;
 * this order applies within each.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const NEW_SPEC_S = 20;

const DURATIONS = JSON.parse(readFileSync(new URL('./spec-durations.json', import.meta.url), 'utf8')) as Record<string, number>;

/** Specs that drive a real Chromium (test/browser/). */
export function drivesBrowser(path: string): boolean {
  return path.startsWith('test/browser/');
}

/**
 * The order for `processes` test processes, from each spec's cost: slowest first, except that
 * a process never takes a browser spec while another runs one (simulated with the costs) when a
 * spec of another kind is left. Ties keep a fixed order: by name.
 */
export function spacedSlowestFirst<T>(specs: readonly T[], cost: (s: T) => number, name: (s: T) => string, processes: number): T[] {
  const left = [...specs].sort((a, b) => cost(b) - cost(a) || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
  const busy = Array.from({ length: Math.max(1, processes) }, (_, i) => ({ i, until: 0, browser: false }));
  const out: T[] = [];
  while (left.length > 0) {
    busy.sort((a, b) => a.until - b.until || a.i - b.i);
    const free = busy[0]!;
    const other = busy.slice(1).some((p) => p.browser && p.until > free.until);
    let k = other ? left.findIndex((s) => !drivesBrowser(name(s))) : 0;
    if (k < 0) k = 0;
    const next = left.splice(k, 1)[0]!;
    out.push(next);
    free.until += cost(next);
    free.browser = drivesBrowser(name(next));
  }
  return out;
}

export class SlowestFirst extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const pathOf = (f: TestSpecification): string => relative(root, f.moduleId).split('\\').join('/');
    const cost = (f: TestSpecification): number => {
      const path = pathOf(f);
      const listed = DURATIONS[path];
      if (listed !== undefined) return listed;
      const last = this.ctx.cache.getFileTestResults(`${f.project.name}:${path}`);
      return last && !last.failed ? last.duration / 1000 : NEW_SPEC_S;
    };
    const costs = new Map(files.map((f) => [f, cost(f)]));
    const processes = this.ctx.config.poolOptions?.forks?.maxForks;
    return Promise.resolve(spacedSlowestFirst(files, (f) => costs.get(f)!, pathOf, typeof processes === 'number' ? processes : 2));
  }
}

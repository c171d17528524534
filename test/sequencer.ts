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

export class SlowestFirst extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const cost = (f: TestSpecification): number => {
      const path = relative(root, f.moduleId).split('\\').join('/');
      const listed = DURATIONS[path];
      if (listed !== undefined) return listed;
      const last = this.ctx.cache.getFileTestResults(`${f.project.name}:${path}`);
      return last && !last.failed ? last.duration / 1000 : NEW_SPEC_S;
    };
    const costs = new Map(files.map((f) => [f, cost(f)]));
    // Ties (and files of equal cost) keep a fixed order: by path.
    return Promise.resolve([...files].sort((a, b) => costs.get(b)! - costs.get(a)! || (a.moduleId < b.moduleId ? -1 : a.moduleId > b.moduleId ? 1 : 0)));
  }
}

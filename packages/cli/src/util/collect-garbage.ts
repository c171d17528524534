/**
 * A full garbage collection of the calling thread's isolate, where the runtime gives one.
 * A convert's stages drop typed arrays of tens of MB (meshes, edge tables, placement scratch),
 * but V8 starts a collection by its JS heap's growth, a few MB a stage here, so a finished
 * stage's arrays (and the shared arrays a worker's payloads still point to) stayed resident
 * while the next stage allocated its own: the job's peak RSS (issue 8 §2). The host collects
 * at each stage's end (run-convert.ts) and a worker when it falls idle (pool/worker-entry.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      // --expose-gc applies to contexts made after it: a fresh one hands over its gc().
      setFlagsFromString('--expose-gc');
      const f: unknown = runInNewContext('gc');
      gc = typeof f === 'function' ? (f as () => void) : null;
    } catch {
      gc = null;
    }
  }
  gc?.();
}

/**
 * The deflater a host gives the thread this module is loaded in. Core is pure TypeScript, so a
 * pool worker has only fflate unless its host hands it one: the CLI's worker entry sets node:zlib
 * (the same RawDeflater the job's host passes on the main thread), so a 3MF written on a worker
 * (write3mfOnPool) has the same bytes as one written on the main thread. A browser worker sets
 * none and writes with fflate, as its main thread would.
 */
import type { RawDeflater } from './zip-write.js';

let deflater: RawDeflater | undefined;

export function setThreadDeflater(d: RawDeflater | undefined): void {
  deflater = d;
}

export function threadDeflater(): RawDeflater | undefined {
  return deflater;
}

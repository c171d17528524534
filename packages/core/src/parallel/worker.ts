/**
 * What a pool's worker thread needs of core, and nothing more: every task by name and the
 * error helpers to send a failure back. A worker used to import all of core (its index: DICOM
 * writing, reports, PDF, signing, …), about 1.3 s of CPU per worker on the 2-core bench
 * machine; the task modules alone load in about a third of that. Hosts import this module as
 * `@scan2print/core/worker`; parallel/worker.spec.ts checks it registers every task the index does.
 */
import './all-tasks.js';

export { getTask, taskNames } from './registry.js';
export * from '../errors.js';

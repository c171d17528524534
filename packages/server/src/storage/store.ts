/**
 * Object storage: local files (embedded) or an S3-compatible store (scale). Keys are
 * server-made ('cases/<uuid>/files/<sha256>.dcm', 'jobs/<uuid>/<attempt>/<name>'), never
 * a client's path. A put is all-or-nothing: a reader never sees half an object.
 */
import type { Readable } from 'node:stream';

export interface ObjectStore {
  readonly kind: 'fs' | 's3';
  put(key: string, bytes: Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  stream(key: string): Promise<Readable>;
  exists(key: string): Promise<boolean>;
  /** Removes every object whose key starts with the prefix (a failed attempt's outputs). */
  deletePrefix(prefix: string): Promise<void>;
  /** Throws when the store does not answer. */
  ping(): Promise<void>;
}

/** A key a client cannot steer: only [A-Za-z0-9._-] segments, no '..'. */
export function checkKey(key: string): string {
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(key) || key.split('/').some((s) => s === '..' || s === '.')) {
    throw new Error(`invalid object key ${JSON.stringify(key)}`);
  }
  return key;
}

/**
 * The same store, its failures marked as the file store's, so a 503 can say which part is down
 * (errorResponse reads the mark; an unmarked unavailable error is the database's).
 */
export function markingFailures(store: ObjectStore): ObjectStore {
  const mark = (e: unknown): never => {
    if (e && typeof e === 'object') (e as { unavailablePart?: string }).unavailablePart = 'file store';
    throw e;
  };
  return {
    kind: store.kind,
    put: (key, bytes) => store.put(key, bytes).catch(mark),
    get: (key) => store.get(key).catch(mark),
    stream: (key) => store.stream(key).catch(mark),
    exists: (key) => store.exists(key).catch(mark),
    deletePrefix: (prefix) => store.deletePrefix(prefix).catch(mark),
    ping: () => store.ping().catch(mark),
  };
}

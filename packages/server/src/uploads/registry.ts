/**
 * The resumable uploads this process holds: whose they are (organisation, case, user), the
 * key that seals their staged bytes, and how they ended. In memory on purpose: the key must
 * never reach the disk (see staging-store.ts), and an upload lives only as long as its key.
 * Outcomes are kept a day so a client that lost the final response can still ask for it.
 */
import { randomBytes } from 'node:crypto';

/** 'held': complete, but the database or store did not answer at ingest; the bytes wait for a retry. */
export type UploadState = 'uploading' | 'ingesting' | 'held' | 'done' | 'failed';

export interface Outcome {
  status: number;
  body: unknown;
}

export interface StagedUpload {
  id: string;
  orgId: string;
  caseId: string;
  userId: string;
  /** The client's file name, for messages only (never a path, never logged). */
  filename: string;
  metadata: Record<string, string | null>;
  size: number | undefined;
  key: Buffer;
  state: UploadState;
  outcome?: Outcome;
  /** Last activity (ms); idle entries are dropped after `ttlMs`. */
  touched: number;
}

export class UploadRegistry {
  private readonly uploads = new Map<string, StagedUpload>();

  constructor(private readonly ttlMs = 24 * 3600_000) {}

  add(u: Omit<StagedUpload, 'key' | 'state' | 'touched'>): StagedUpload {
    const e: StagedUpload = { ...u, key: randomBytes(32), state: 'uploading', touched: Date.now() };
    this.uploads.set(u.id, e);
    return e;
  }

  get(id: string): StagedUpload | undefined {
    const e = this.uploads.get(id);
    if (e) e.touched = Date.now();
    return e;
  }

  delete(id: string): void {
    this.uploads.delete(id);
  }

  /** Entries idle longer than the TTL, removed from the registry (the caller deletes their bytes). */
  expire(now = Date.now()): StagedUpload[] {
    const gone = [...this.uploads.values()].filter((e) => now - e.touched > this.ttlMs && e.state !== 'ingesting');
    for (const e of gone) this.uploads.delete(e.id);
    return gone;
  }

  /** A user's unfinished uploads that saw activity within `withinMs` (abandoned ones stop counting). */
  openBy(userId: string, withinMs = 3600_000, now = Date.now()): number {
    let n = 0;
    for (const e of this.uploads.values()) if (e.userId === userId && e.state === 'uploading' && now - e.touched <= withinMs) n++;
    return n;
  }
}

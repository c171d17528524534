/** Messages between the server's main thread and its convert thread (convert-thread.ts). */
import type { ConvertJobRequest, JobOutput, Report, ScanErrorWire } from '@scan2print/core';

export interface RunMessage {
  type: 'run';
  req: Omit<ConvertJobRequest, 'sources'>;
  /** Names of the input files; the thread reads each by index. */
  sources: string[];
}

/** From the thread. */
export type ThreadRequest =
  | { type: 'progress'; fraction: number; message?: string }
  | { type: 'read'; id: number; index: number }
  | { type: 'output'; id: number; name: string; bytes: Uint8Array }
  | { type: 'done'; outputs: JobOutput[]; report: Report }
  | { type: 'error'; error: ScanErrorWire };

/** To the thread: the answer to a read or an output. */
export interface ThreadReply {
  type: 'reply';
  id: number;
  bytes?: Uint8Array;
  error?: string;
}

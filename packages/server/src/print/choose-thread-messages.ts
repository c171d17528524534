/** Messages between the API's main thread and its printer choice thread (choose-thread.ts). */
import type { ChoiceParams, PrintCatalogue, PrintChoice, PrintRecord, ScanErrorWire } from '@scan2print/core';

/** To the thread: the approved model's 3MF (its buffer transferred), the catalogue and what was asked. */
export interface ChooseRequest {
  bytes: Uint8Array;
  /** The model's name, as read3mf and the choice's errors name it. */
  name: string;
  catalogue: PrintCatalogue;
  params: ChoiceParams;
}

/** From the thread: core's choice (plain data), or the error it threw in its wire form. */
export type ChooseReply = { type: 'done'; output: PrintChoice; record: PrintRecord } | { type: 'error'; error: ScanErrorWire };

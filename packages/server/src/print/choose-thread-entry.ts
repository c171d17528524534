/**
 * The printer choice thread (choose-thread.ts starts one per choice): core's read3mf and
 * choosePrint on the approved model, off the API's main thread. It answers once and is ended.
 */
import { parentPort } from 'node:worker_threads';
import { choosePrint, read3mf, scanErrorToWire } from '@scan2print/core';
import type { ChooseReply, ChooseRequest } from './choose-thread-messages.js';

const port = parentPort!;

port.once('message', (m: ChooseRequest) => {
  let reply: ChooseReply;
  try {
    const { output, record } = choosePrint(read3mf(m.bytes, m.name), m.catalogue, m.params);
    reply = { type: 'done', output, record };
  } catch (e) {
    // Core's wire form keeps a ScanError's code, kind and file: choose-thread.ts rebuilds it.
    reply = { type: 'error', error: scanErrorToWire(e) };
  }
  port.postMessage(reply);
});

// A request that cannot be read here would leave the caller waiting: answer with why.
port.once('messageerror', (e) => {
  const reply: ChooseReply = { type: 'error', error: scanErrorToWire(new Error(`the choice's request could not be read (${e.message})`)) };
  port.postMessage(reply);
});

#!/usr/bin/env node
import { runCli } from './run.js';
import { dropWritesOnClosedStdout } from './util/closed-stdout.js';

dropWritesOnClosedStdout();

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // runCli maps every error to an exit code; reaching here is a bug in the CLI itself.
    process.stderr.write(`scan2print: internal error: ${String(err)}\n`);
    process.exitCode = 4;
  },
);

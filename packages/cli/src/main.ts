#!/usr/bin/env node
import { dropWritesOnClosedStdout } from './util/closed-stdout.js';

dropWritesOnClosedStdout();

const argv = process.argv.slice(2);

/**
 * Core's version from its own module beside the package's entry point: run.js loads core's whole
 * index (~250 modules, ~0.3 s of CPU) and every command module, all for one constant. The package
 * exports only its index, so the module is found next to it; the index is the fallback.
 */
async function coreVersion(): Promise<string> {
  try {
    const m = (await import(new URL('./version.js', import.meta.resolve('@scan2print/core')).href)) as { SCAN2PRINT_VERSION?: unknown };
    if (typeof m.SCAN2PRINT_VERSION === 'string') return m.SCAN2PRINT_VERSION;
  } catch {
    // fall through to the package's index
  }
  return (await import('@scan2print/core')).SCAN2PRINT_VERSION;
}

/** `scan2print --version` alone: what commander's .version() prints, without building the program. */
async function printVersion(): Promise<number> {
  process.stdout.write(`${await coreVersion()}\n`);
  return 0;
}

const versionOnly = argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V');

(versionOnly ? printVersion() : import('./run.js').then(({ runCli }) => runCli(argv))).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // runCli maps every error to an exit code; reaching here is a bug in the CLI itself.
    process.stderr.write(`scan2print: internal error: ${String(err)}\n`);
    process.exitCode = 4;
  },
);

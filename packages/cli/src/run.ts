import { Command, CommanderError } from 'commander';
import { isScanError, SCAN2PRINT_VERSION } from '@scan2print/core/job';
import { loadCommands } from './commands/index.js';
import { applyOptionRules } from './commands/option-rules.js';

export const EXIT = { ok: 0, usage: 2, input: 3, internal: 4 } as const;

/** Runs the CLI and returns the exit code. Never throws; never prints a stack trace for a user error. */
export async function runCli(argv: string[]): Promise<number> {
  const program = new Command('scan2print')
    .description('CT scan → 1:1 print-ready 3D model, with an ISO/IEC 3532 record of every step')
    .version(SCAN2PRINT_VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  let code: number = EXIT.ok;
  try {
    for (const register of await loadCommands(argv)) {
      register(program, (c) => {
        code = c;
      });
    }
    applyOptionRules(program);
    program.commands.forEach((c) => c.exitOverride());
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    return reportError(err);
  }
}

export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (help, version or a usage error).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return EXIT.ok;
    return EXIT.usage;
  }
  if (isScanError(err)) {
    process.stderr.write(`scan2print: ${err.message}\n`);
    return err.kind === 'usage' ? EXIT.usage : err.kind === 'input' ? EXIT.input : EXIT.internal;
  }
  const e = err as { stack?: string; message?: string };
  process.stderr.write(`scan2print: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.SCAN2PRINT_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
  return EXIT.internal;
}

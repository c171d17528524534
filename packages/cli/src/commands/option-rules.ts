/**
 * Rules every command follows, applied once to the whole program (run.ts) so no command can
 * drift: `-q/--quiet` is accepted everywhere; HU values are checked against the CT scale
 * before any work, in the user's terms; an option that only means something together with
 * another is refused alone (rather than accepted and ignored); every `--help` ends with
 * examples (commands/examples.ts).
 */
import type { Command } from 'commander';
import { refuseHuOutsideCt, usageError } from '@scan2print/core/job';
import { EXAMPLES } from './examples.js';

/** Per command: option → the option it needs (both as commander attribute names, then flags for messages). */
const NEEDS: Record<string, Array<[string, string, string, string]>> = {
  validate: [
    ['field', '--field', 'mesh', '--mesh'],
    ['level', '--level', 'field', '--field'],
    ['labels', '--labels', 'mesh', '--mesh'],
  ],
};

export function checkNeeds(command: string, opts: Record<string, unknown>): void {
  for (const [key, flag, needKey, needFlag] of NEEDS[command] ?? []) {
    if (opts[key] !== undefined && opts[needKey] === undefined) throw usageError('BAD_OPTION', `${flag} only applies with ${needFlag} (it would be ignored)`);
  }
}

/** Applies the rules to every registered command. */
export function applyOptionRules(program: Command): void {
  for (const cmd of program.commands) {
    if (!cmd.options.some((o) => o.long === '--quiet')) cmd.option('-q, --quiet', 'no progress line');
    const ex = EXAMPLES[cmd.name()];
    if (ex) cmd.addHelpText('after', `\nExamples:\n${ex.map((e) => `  $ ${e}`).join('\n')}\n`);
  }
  program.hook('preAction', (_program, action) => {
    const opts = action.opts();
    // Core's rule, the same one the server applies to job params.
    refuseHuOutsideCt(opts);
    checkNeeds(action.name(), opts);
  });
}

/** --ascii without an STL output would be accepted and ignored: refused instead. */
export function refuseAsciiWithoutStl(opts: { ascii?: boolean; output: string[] }): void {
  if (opts.ascii && !opts.output.some((f) => /\.stl$/i.test(f))) {
    throw usageError('BAD_OPTION', '--ascii applies to STL output only, and no -o ends in .stl');
  }
}

/**
 * Rules every command follows, applied once to the whole program (run.ts) so no command can
 * drift: `-q/--quiet` is accepted everywhere; HU values are checked against the CT scale
 * before any work, in the user's terms; an option that only means something together with
 * another is refused alone (rather than accepted and ignored), and so is an option that
 * takes one value given twice (commander keeps the last silently) or a flag given with its
 * --no- form; every `--help` ends with examples (commands/examples.ts).
 */
import type { Command, Option } from 'commander';
import { refuseHuOutsideCt, usageError } from '@scan2print/core/job';
import { EXAMPLES } from './examples.js';

/** Per command: option → the option it needs (both as commander attribute names, then flags for messages). */
const NEEDS: Record<string, Array<[string, string, string, string]>> = {
  mesh: [['level', '--level', 'field', '--field']],
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

/** Per command: an option, and the options (with defaults, so judged by where a value came from) that mean nothing with it. */
const EXCLUDES: Record<string, [string, string[]]> = {
  validate: ['--mesh', ['--phantom', '--voxel', '--noise', '--blur', '--blur-model', '--tilt', '--smooth', '--smooth-method', '--placement', '--radius', '--thickness', '--plate-tilt']],
};

function checkExcludes(cmd: Command): void {
  const rule = EXCLUDES[cmd.name()];
  if (!rule) return;
  const [flag, others] = rule;
  const given = (f: string) => cmd.getOptionValueSource(cmd.options.find((o) => o.long === f)!.attributeName()) === 'cli';
  if (!given(flag)) return;
  const ignored = others.filter(given);
  if (ignored.length) throw usageError('BAD_OPTION', `${ignored.join(', ')} ${ignored.length === 1 ? 'describes' : 'describe'} the phantoms, not ${flag} (it would be ignored)`);
}

/**
 * An option that takes one value (no list, no collector) given twice, or a flag with its --no-
 * form: refused while parsing, naming both. `-o a.nii -o b.nii` wrote only b.nii.
 */
function refuseRepeats(cmd: Command): void {
  const setBy = new Map<string, string>();
  const once = (o: Option) => (o.required || o.optional) && !o.variadic && !o.parseArg;
  for (const o of cmd.options) {
    const key = o.attributeName();
    const flag = o.long ?? o.short ?? key;
    cmd.on(`option:${o.name()}`, (value: unknown) => {
      const before = setBy.get(key);
      if (before !== undefined && before !== flag) throw usageError('OPTION_TWICE', `${before} and ${flag} contradict each other: give one`);
      if (before !== undefined && once(o)) throw usageError('OPTION_TWICE', `${flag} given twice (the second, ${String(value)}, would replace the first): give it once`);
      setBy.set(key, flag);
    });
  }
}

/** Applies the rules to every registered command. */
export function applyOptionRules(program: Command): void {
  for (const cmd of program.commands) {
    if (!cmd.options.some((o) => o.long === '--quiet')) cmd.option('-q, --quiet', 'no progress line');
    refuseRepeats(cmd);
    const ex = EXAMPLES[cmd.name()];
    if (ex) cmd.addHelpText('after', `\nExamples:\n${ex.map((e) => `  $ ${e}`).join('\n')}\n`);
  }
  program.hook('preAction', (_program, action) => {
    const opts = action.opts();
    // Core's rule, the same one the server applies to job params.
    refuseHuOutsideCt(opts);
    checkNeeds(action.name(), opts);
    checkExcludes(action);
  });
}

/** --ascii without an STL output would be accepted and ignored: refused instead. */
export function refuseAsciiWithoutStl(opts: { ascii?: boolean; output: string[] }): void {
  if (opts.ascii && !opts.output.some((f) => /\.stl$/i.test(f))) {
    throw usageError('BAD_OPTION', '--ascii applies to STL output only, and no -o ends in .stl');
  }
}

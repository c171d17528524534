/**
 * Rules every command follows, applied once to the whole program (run.ts) so no command can
 * drift: `-q/--quiet` is accepted everywhere; HU values are checked against the CT scale
 * before any work, in the user's terms; an option that only means something together with
 * another is refused alone (rather than accepted and ignored); every `--help` ends with
 * examples (commands/examples.ts).
 */
import type { Command } from 'commander';
import { usageError } from '@scan2print/core';
import { EXAMPLES } from './examples.js';

/** The HU scale of CT: air −1000 (stored down to −1024), water 0; 12-bit data end at 3071. */
export const HU_MIN = -1024;
export const HU_MAX = 3071;

/** Options holding HU values (comma-separated lists), by attribute name as commander stores them. */
const HU_OPTIONS: Record<string, string> = { threshold: '--threshold', thresholds: '--thresholds', range: '--range' };

/** Per command: option → the option it needs (both as commander attribute names, then flags for messages). */
const NEEDS: Record<string, Array<[string, string, string, string]>> = {
  validate: [
    ['field', '--field', 'mesh', '--mesh'],
    ['level', '--level', 'field', '--field'],
    ['labels', '--labels', 'mesh', '--mesh'],
  ],
};

function huValues(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter((s) => s !== '' && s.toLowerCase() !== 'auto');
}

/** Refuses HU values outside the CT scale, naming the option and the value. */
export function checkHuOptions(opts: Record<string, unknown>): void {
  for (const [key, flag] of Object.entries(HU_OPTIONS)) {
    if (opts[key] === undefined) continue;
    for (const s of huValues(opts[key])) {
      const x = Number(s);
      if (!Number.isFinite(x)) continue; // the command's own parser names malformed numbers
      if (x < HU_MIN || x > HU_MAX) {
        throw usageError(
          'HU_OUT_OF_RANGE',
          `${flag} ${String(opts[key])}: ${s} HU is outside the CT scale ${HU_MIN}..${HU_MAX} HU (air ≈ −1000, water 0, soft tissue ≈ 40, bone ≈ 200..2000); ` +
            'a bone threshold is typically 150..700 HU',
        );
      }
    }
  }
}

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
    checkHuOptions(opts);
    checkNeeds(action.name(), opts);
  });
}

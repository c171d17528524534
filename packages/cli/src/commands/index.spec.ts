// run.ts registers only the command the first argument names (commands/index.ts); that table
// of names must match what each command module registers, or a command would be missing.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandNames, loadCommands } from './index.js';

/** Names and aliases of the commands these arguments register on a fresh program. */
async function registered(argv: string[]): Promise<string[]> {
  const program = new Command('scan2print');
  for (const register of await loadCommands(argv)) register(program, () => {});
  return program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
}

describe('loading the commands', () => {
  it('registers every command, in the table, when no command is named', async () => {
    const all = await registered(['--help']);
    expect(all).toContain('convert');
    expect(all).toContain('anonymize');
    expect([...all].sort()).toEqual([...commandNames()].sort());
    expect(await registered([])).toEqual(all);
    expect(await registered(['no-such-command'])).toEqual(all);
  });

  it('registers only the module of the command named first, which registers that name', async () => {
    expect(await registered(['convert', 'x', '-o', 'y.3mf'])).toEqual(['convert']);
    expect(await registered(['anonymize'])).toEqual(['anonymise', 'anonymize']);
    for (const name of commandNames()) expect(await registered([name]), name).toContain(name);
  });
});

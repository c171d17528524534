import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { convertJobSettings, convertParamsSchema } from '@scan2print/core';
import { CONVERT_HOST_OPTIONS, convertCondition, convertParamsOf, convertSegmentation, registerConvert } from './convert.js';

/** The `convert` command as the CLI builds it, with its action replaced by one that hands back commander's options. */
function convertCommand(): { program: Command; cmd: Command } {
  const program = new Command('scan2print').exitOverride();
  registerConvert(program, () => {});
  const cmd = program.commands.find((c) => c.name() === 'convert')!;
  return { program, cmd };
}

type CliOptions = Parameters<typeof convertParamsOf>[0];

async function cliOptions(args: string[]): Promise<CliOptions> {
  const { program, cmd } = convertCommand();
  let got: CliOptions | undefined;
  cmd.action((_inputs: string[], o: CliOptions) => {
    got = o;
  });
  await program.parseAsync(['convert', 'in', '-o', 'model.stl', ...args], { from: 'user' });
  return got!;
}

const settingsOfCli = async (args: string[]) => convertJobSettings(convertParamsOf(await cliOptions(args)));

describe('convert options are the job params of core (one schema for the CLI and the server)', () => {
  it('every option of the command is a job param or names an output; every param is an option', () => {
    const { cmd } = convertCommand();
    const attributes = new Set(cmd.options.map((o) => o.attributeName()));
    const params = Object.keys(convertParamsSchema.shape);
    const host: readonly string[] = CONVERT_HOST_OPTIONS;
    for (const a of attributes) expect(params.includes(a) || host.includes(a), a).toBe(true);
    for (const p of params) expect(attributes.has(p), p).toBe(true);
    for (const h of host) expect(params.includes(h), h).toBe(false);
  });

  it('no options: the same job as core applies to empty params', async () => {
    const o = await cliOptions([]);
    expect(o.output).toEqual(['model.stl']);
    expect(convertParamsOf(o)).not.toHaveProperty('output');
    expect(await settingsOfCli([])).toEqual(convertJobSettings({}));
    expect(convertSegmentation({ output: [], tissue: 'bone' })).toEqual(convertJobSettings({}).segmentation);
    const demo = { output: [], tissue: 'bone', smooth: '40', smoothMethod: 'windowed-sinc', minShell: '1' };
    expect(convertCondition(demo, 'bone')).toEqual(convertJobSettings({}).condition);
  });

  it('options typed on the command line give the same job as the JSON a server client sends', async () => {
    const cli = await settingsOfCli([
      ...['--threshold', '200', '--threshold', '250,900', '--crop', '0,0,0,9,9,9', '--keep', '2'],
      ...['--fill-holes', '--no-fill-marrow', '--keep-table', '--smooth', '10', '--smooth-method', 'taubin'],
      ...['--decimate-ratio', '0.5', '--min-shell', '0', '--tissue', 'teeth', '--purpose', 'plan', '--force', '--series', '3'],
      ...['--placement', 'threshold'],
    ]);
    const json = convertJobSettings({
      threshold: [200, '250,900'],
      crop: [0, 0, 0, 9, 9, 9],
      keep: 2,
      fillHoles: true,
      fillMarrow: false,
      keepTable: true,
      smooth: 10,
      smoothMethod: 'taubin',
      decimateRatio: 0.5,
      minShell: 0,
      tissue: 'teeth',
      purpose: 'plan',
      force: true,
      series: 3,
      placement: 'threshold',
    });
    expect(cli).toEqual(json);
    expect(cli.placement).toBe('threshold');
    expect(cli.segmentation.method).toEqual({ method: 'threshold', ranges: [[200, 3071], [250, 900]] });
    expect(cli.decimateRatio).toBe(0.5);
  });

  it('--placement: edge by default, threshold on request, anything else refused naming the flag and the choices', async () => {
    expect(convertJobSettings({}).placement).toBe('edge');
    expect((await settingsOfCli(['--placement', 'edge'])).placement).toBe('edge');
    expect(() => convertJobSettings({ placement: 'iso' })).toThrow(/--placement iso: expected edge or threshold/);
    expect(() => convertJobSettings({ placement: 1 as unknown as string })).toThrow(/--placement 1: expected text/);
    expect(convertParamsSchema.safeParse({ placement: 'threshold' }).success).toBe(true);
    expect(convertParamsSchema.safeParse({ placement: 'nearest' }).success).toBe(false);
  });
});

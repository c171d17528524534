import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SMOOTH_DEFAULTS } from '@scan2print/core';
import { runScan2printAsync } from '../../../test/cli.js';
import { dataPath, ROOT } from '../../../test/data.js';
import { README_DATA, readmeRun, sharedOutput } from '../../../test/convert-cache.js';

/**
 * The README's examples, run as a user would paste them: every line of a ```sh block that
 * starts with `scan2print` or `npx scan2print`, in order, in one scratch folder where the
 * test data's folders (ct/, labelled/, hardcases/) are linked, so later examples use earlier
 * outputs. A line ending in `# slow` (documented in the README) is not run: its command and
 * every --option in it are checked against that command's --help instead. An export-volume
 * runs as written in a folder of test/convert-cache.ts (where the data folders are linked the
 * same way), once per test run for this spec and any other reading its output (inspect.spec),
 * and its output is linked into the scratch folder for the examples after it. The --help
 * outputs are shared the same way (convert-user.spec reads them too).
 */

const README = join(ROOT, 'README.md');

export interface Example {
  line: string;
  args: string[];
  slow: boolean;
}

/** Splits a shell line into words: single and double quotes, backslash escapes, `~/` → home. */
export function shellWords(line: string, home: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else if (c === '#' && !inWord) {
      break;
    } else {
      if (!inWord && c === '~' && line[i + 1] === '/') {
        cur += home;
        inWord = true;
        continue;
      }
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

export function readmeExamples(markdown: string, home: string): Example[] {
  const out: Example[] = [];
  for (const block of markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    const lines = block[1]!.replace(/\\\n\s*/g, ' ').split('\n');
    for (const raw of lines) {
      const line = raw.trim();
      const m = /^(?:npx\s+)?scan2print\s+(.*)$/.exec(line);
      if (!m) continue;
      out.push({ line, args: shellWords(m[1]!, home), slow: /#\s*slow\s*$/.test(line) });
    }
  }
  return out;
}

const work = mkdtempSync(join(tmpdir(), 's2p-readme-'));
const home = join(work, 'home');
mkdirSync(home);
for (const d of README_DATA) symlinkSync(dataPath(d), join(work, d));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const markdown = readFileSync(README, 'utf8');
const examples = readmeExamples(markdown, home);
const env = { HOME: home, XDG_CONFIG_HOME: '', SCAN2PRINT_KEY_FILE: '', SOURCE_DATE_EPOCH: '1767225600' };

/**
 * `scan2print <command> --help`, run once per command (several README lines name the same one),
 * and once per test run for the specs that read the same help (convert-user.spec): it depends on
 * the build only.
 */
const help = (command: string): ReturnType<typeof sharedOutput> => sharedOutput([command, '--help']);

/** Commands whose examples other specs read the outputs of (inspect.spec), and which read no configuration. */
const SHARED = new Set(['export-volume']);

/** An example as a shared run; its outputs linked into the scratch folder, as if written there. */
async function sharedInWork(args: string[]): ReturnType<typeof readmeRun> {
  const r = await readmeRun(args);
  for (const name of readdirSync(r.dir)) {
    if ((README_DATA as readonly string[]).includes(name)) continue;
    rmSync(join(work, name), { recursive: true, force: true });
    symlinkSync(join(r.dir, name), join(work, name));
  }
  return r;
}

describe('README examples', () => {
  it('finds runnable examples for every command', () => {
    expect(shellWords(`convert a -o "x y.3mf" --purpose 'it is' ~/k # c`, '/h')).toEqual(['convert', 'a', '-o', 'x y.3mf', '--purpose', 'it is', '/h/k']);
    const commands = new Set(examples.map((e) => e.args[0]));
    for (const c of ['convert', 'demo', 'segment', 'evaluate', 'mesh', 'inspect', 'export-volume', 'anonymise', 'validate']) expect(commands, c).toContain(c);
  });

  // Sequential: later examples read earlier outputs.
  for (const ex of examples) {
    it(`${ex.slow ? 'knows the options of' : 'runs'}: ${ex.line}`, async () => {
      if (ex.slow) {
        const h = await help(ex.args[0]!);
        expect(h.code).toBe(0);
        for (const flag of ex.args.filter((a) => /^--?[a-z]/.test(a))) expect(h.stdout, `${flag} in ${ex.args[0]} --help`).toContain(flag);
        return;
      }
      const r = SHARED.has(ex.args[0]!) ? await sharedInWork(ex.args) : await runScan2printAsync(ex.args, { cwd: work, env, timeout_ms: 300_000 });
      expect(r.code, `${ex.line}\n${r.stderr}`).toBe(0);
    });
  }

  it('README and --help give the real default pass band', async () => {
    const h = await help('convert');
    expect(h.stdout).toContain(`default ${SMOOTH_DEFAULTS.passBand}`);
    // what the mesh and convert sections state as the default (the benchmarks section names Slicer's 0.01 on purpose)
    const sections = markdown.slice(markdown.indexOf('### scan2print mesh'), markdown.indexOf('### scan2print demo'));
    const stated = [...sections.matchAll(/(\d+)\s+iterations,\s+pass band ([\d.]+)/g)];
    expect(stated.length).toBeGreaterThanOrEqual(2);
    for (const s of stated) {
      expect(Number(s[1])).toBe(SMOOTH_DEFAULTS.iterations);
      expect(Number(s[2])).toBe(SMOOTH_DEFAULTS.passBand);
    }
  });
});

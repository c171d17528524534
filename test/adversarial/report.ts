/**
 * The adversarial set's figures as Markdown: per class (cases, secrets planted, secrets leaked
 * by scan2print and by Orthanc, cases leaking or refused) and per case. Written to
 * bench/results/anonymise-adversarial.md in named sections, so a run before the fixes and a
 * run after them sit side by side.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { CLASS_NAMES, type AdversarialCase, type LeakClass } from './generate.js';
import { leakedSecrets, type ScanResult } from './scan.js';

export interface Outcome {
  /** Why nothing was written (a refusal), when so. */
  refused?: string;
  scan: ScanResult;
  files: number;
}

export interface RunTable {
  cases: AdversarialCase[];
  ours: Map<string, Outcome>;
  orthanc?: { version: string; outcomes: Map<string, Outcome> };
}

const CLASSES: LeakClass[] = [1, 2, 3, 4, 5, 0];

function cell(o: Outcome | undefined, secrets: number): string {
  if (!o) return '—';
  if (o.refused && o.files === 0) return 'refused';
  const n = leakedSecrets(o.scan).length;
  return `${n}/${secrets}${o.refused ? ' (part refused)' : ''}`;
}

export function classTable(t: RunTable): string {
  const lines = [
    '| class | what | cases | secrets planted | scan2print: secrets leaked (cases leaking, refused) ' +
      `| ${t.orthanc ? `Orthanc ${t.orthanc.version}: secrets leaked (cases leaking, refused)` : 'Orthanc'} |`,
    '|---|---|---|---|---|---|',
  ];
  for (const c of CLASSES) {
    const cs = t.cases.filter((x) => x.cls === c);
    const planted = cs.reduce((n, x) => n + x.secrets.length, 0);
    const sum = (m: Map<string, Outcome> | undefined) => {
      if (!m) return '—';
      let leaked = 0;
      let leaking = 0;
      let refused = 0;
      for (const x of cs) {
        const o = m.get(x.name);
        if (!o) continue;
        const n = leakedSecrets(o.scan).length;
        leaked += n;
        if (n) leaking++;
        if (o.refused && o.files === 0) refused++;
      }
      return `${leaked} (${leaking}, ${refused})`;
    };
    lines.push(`| ${c} | ${CLASS_NAMES[c]} | ${cs.length} | ${planted} | ${sum(t.ours)} | ${sum(t.orthanc?.outcomes)} |`);
  }
  return lines.join('\n');
}

/** The distinct leaked secrets of one outcome with their first encoding (at most 5), or why it was refused. */
function what(o: Outcome | undefined): string {
  if (!o) return '';
  const seen = new Map<string, string>();
  for (const l of o.scan.leaks) {
    if (!seen.has(l.secret.value)) seen.set(l.secret.value, `${l.secret.label}: ${l.secret.value} (${l.encoding})`);
  }
  const list = [...seen.values()];
  const more = list.length > 5 ? `; … ${list.length - 5} more` : '';
  const text = list.slice(0, 5).join('; ') + more + (o.refused ? ` [${o.refused.slice(0, 120)}]` : '');
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function caseTable(t: RunTable): string {
  const lines = [
    '| case | class | source | secrets | scan2print leaked | Orthanc leaked | scan2print: what leaked (encoding) | Orthanc: what leaked |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const c of [...t.cases].sort((a, b) => CLASSES.indexOf(a.cls) - CLASSES.indexOf(b.cls))) {
    const o = t.ours.get(c.name);
    const th = t.orthanc?.outcomes.get(c.name);
    const n = c.secrets.length;
    const file = c.source.split('/').pop();
    lines.push(`| ${c.name} | ${c.cls} | ${file} | ${n} | ${cell(o, n)} | ${cell(th, n)} | ${what(o)} | ${what(th)} |`);
  }
  return lines.join('\n');
}

/** Replaces (or adds) the section `name` of the results file, keeping the others. */
export function writeSection(path: string, name: string, body: string): void {
  const header =
    '# Anonymisation: the adversarial set (issue 13)\n\n' +
    'Real files from ../shared/data with identifiers planted per leak class (test/adversarial/generate.ts), anonymised by\n' +
    "scan2print's core and by Orthanc's default `/instances/{id}/anonymize`; every output byte (deflated data sets\n" +
    'inflated, zip entries opened) searched for every planted secret in ASCII/UTF-8 (as typed, upper, lower), Latin-1,\n' +
    'UTF-16 LE/BE, Shift-JIS, EUC-JP, ISO 2022 IR 87 and base64 (test/adversarial/scan.ts). A secret counts once per\n' +
    'case however many encodings or places it was found in. "refused" = no output written (a refusal is not a leak).\n' +
    'Section "before" ran core as committed at the named commit (`git archive <commit> packages/core/src | tar -x -C\n' +
    '/tmp/s2p-before`, node_modules linked beside it, ADVERSARIAL_CORE pointing at its src/index.ts); later sections ran\n' +
    "the repository's own core.\n";
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const sections = new Map<string, string>();
  for (const m of old.matchAll(/<!-- section:(\S+) -->\n([\s\S]*?)<!-- \/section:\1 -->/g)) sections.set(m[1]!, m[2]!);
  sections.set(name, body.endsWith('\n') ? body : `${body}\n`);
  const order = [...sections.keys()].sort((a, b) => (a === 'before' ? -1 : b === 'before' ? 1 : a.localeCompare(b)));
  writeFileSync(path, `${header}\n${order.map((k) => `<!-- section:${k} -->\n${sections.get(k)}<!-- /section:${k} -->\n`).join('\n')}`);
}

/**
 * `scan2print upload <dicom…> --server URL`: the client of `scan2print serve`. Anonymises on
 * this machine (the project key of `scan2print anonymise`; nothing identifiable leaves it,
 * and the server refuses identifiable files anyway), creates a case unless --case, uploads
 * in batches with a progress bar, starts a convert job with the convert options given here
 * (checked by core's convertParamsSchema before anything is sent), and with --wait follows
 * it; with -o it downloads the model (SHA-256 checked, written all or nothing).
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Command, Option } from 'commander';
import { convertJobSettings, convertParamsSchema, inputError, usageError, type ConvertJobParams } from '@scan2print/core';
import { collectInputs } from '../io/inputs.js';
import { OutputSet, preflightOutputs } from '../util/output-set.js';
import { createProgress, type Progress } from '../util/progress.js';
import { defaultKeyFile, loadOrCreateKey } from './anonymise.js';
import { addMeshOptions, addSegmentationOptions } from './shared-options.js';
import { createClient, isInsecureRemote, serverBase, withRetry, type ServerClient } from './upload-client.js';
import { anonymiseInputs, batches, formOf, withSourceNames, type OutgoingFile } from './upload-files.js';
import { artifactFor, checkModelOutput, download, followJob, type ArtifactView, type JobView } from './upload-job.js';
import type { RegisterCommand } from './index.js';

interface UploadOptions {
  server: string;
  token?: string;
  purpose?: string;
  anatomy?: string;
  case?: string;
  keyFile?: string;
  allowBurnedIn?: boolean;
  wait?: boolean;
  output?: string[];
  report?: string;
  html?: string;
  json?: boolean;
  quiet?: boolean;
}

/** Options of the mesh group that shape local files; the server decides its own outputs. */
const LOCAL_ONLY = ['--ascii', '--preview'];
const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export const UPLOAD_EXAMPLES = [
  'export SCAN2PRINT_TOKEN=s2p_…   # from your org-admin; or --token',
  'scan2print upload ct/head/ --server https://print.hospital.org --purpose "orbital floor repair" --anatomy skull --wait -o skull.3mf',
  'scan2print upload study.zip --server http://127.0.0.1:8080 --purpose planning --anatomy mandible --threshold 300 --decimate-ratio 0.3',
  'scan2print upload more-slices/ --server http://127.0.0.1:8080 --case CASE_ID   # add to an existing case',
];

/** The convert params the user gave on the command line (the server applies the same defaults as `convert`). */
export function uploadParams(cmd: Command, o: Record<string, unknown>): ConvertJobParams {
  const keys = Object.keys(convertParamsSchema.shape);
  const params: Record<string, unknown> = {};
  // `--anatomy` here is the case's (the order's free text, e.g. "skull"), not convert's
  // per-structure models: it must not become the job's `anatomy` param.
  for (const k of keys) if (k !== 'anatomy' && o[k] !== undefined && cmd.getOptionValueSource(k) === 'cli') params[k] = o[k];
  // The case's purpose is also the report's.
  if (o.purpose !== undefined) params.purpose = o.purpose;
  return params as ConvertJobParams;
}

/** Refuses params the server would refuse, with the CLI's own message, before anything is read or sent. */
export function checkParams(params: ConvertJobParams): void {
  const r = convertParamsSchema.safeParse(params);
  if (r.success) return;
  convertJobSettings(params); // throws the option-named usage error for the same issue
  throw usageError('BAD_OPTION', r.error.issues.map((i) => i.message).join('; '));
}

function tokenOf(o: UploadOptions): string {
  const token = o.token ?? process.env.SCAN2PRINT_TOKEN;
  if (!token) throw usageError('NO_TOKEN', 'no API token: set SCAN2PRINT_TOKEN (preferred: not in the shell history) or pass --token');
  return token.trim();
}

async function uploadAll(c: ServerClient, caseId: string, files: OutgoingFile[], progress: Progress, note: (l: string) => void) {
  const total = files.reduce((n, f) => n + f.bytes.length, 0);
  const sum = { received: 0, added: 0, duplicates: 0 };
  let sent = 0;
  progress.stage('upload');
  const parts = batches(files);
  for (const [i, batch] of parts.entries()) {
    progress.update(sent / total, `batch ${i + 1}/${parts.length}, ${(sent / 1048576).toFixed(1)} of ${(total / 1048576).toFixed(1)} MiB`);
    let r: { received: number; added: number; duplicates: number };
    try {
      // Safe to repeat: the server keeps one copy per checksum, so a retried batch adds nothing twice.
      r = await withRetry(
        () => c.json('POST', `/api/cases/${caseId}/files`, formOf(batch)),
        4,
        (e, n) => note(`batch ${i + 1}: ${(e as Error).message}; retry ${n}`),
      );
    } catch (e) {
      const x = e as Error & { status?: number };
      // Refusals of the files themselves (not DICOM, identifiable, too large): say which inputs they came from.
      if ([400, 413, 415, 422].includes(x.status ?? 0)) throw Object.assign(x, { message: withSourceNames(x.message, batch) });
      throw e;
    }
    sum.received += r.received;
    sum.added += r.added;
    sum.duplicates += r.duplicates;
    sent += batch.reduce((n, f) => n + f.bytes.length, 0);
  }
  progress.update(1, `${(total / 1048576).toFixed(1)} MiB`);
  return { ...sum, batches: parts.length, bytes: total };
}

/** Removes options the upload cannot honour from a shared group, so --help never offers them. */
function dropOptions(cmd: Command, flags: string[]): void {
  const opts = cmd.options as Option[];
  for (let i = opts.length - 1; i >= 0; i--) if (flags.includes(opts[i]!.long ?? '')) opts.splice(i, 1);
}

export const registerUpload: RegisterCommand = (program: Command) => {
  const cmd = program
    .command('upload')
    .description(
      'anonymise DICOM on this machine, upload it to a scan2print server as a case and start convert; --wait follows the job, ' +
        '-o downloads the model',
    )
    .argument('<dicom...>', 'DICOM files, folders (recursive) or .zip archives')
    .requiredOption('--server <url>', 'the scan2print server, e.g. http://127.0.0.1:8080 (what `scan2print serve` prints, /api optional)')
    .option('--token <token>', 'API token (default: $SCAN2PRINT_TOKEN, which keeps it out of the shell history)')
    .option('--purpose <text>', 'clinical purpose of the case (also recorded in the report); needed unless --case')
    .option('--anatomy <name>', 'anatomy of the case, e.g. skull, mandible, pelvis; needed unless --case')
    .option('--case <id>', 'add the files to this existing case instead of creating one')
    .option(
      '--key-file <file>',
      'project key for anonymisation, as for `scan2print anonymise` (default: $SCAN2PRINT_KEY_FILE, ' +
        'else $XDG_CONFIG_HOME/scan2print/project.key or ~/.config/scan2print/project.key)',
    )
    .option('--allow-burned-in', 'also send files whose BurnedInAnnotation is YES (their pixels may show identity)')
    .option('--wait', 'follow the convert job until it ends (stage and progress); exit 3 with its error if it fails')
    .option('-o, --output <file>', 'download the model (.3mf or .stl) to this file; implies --wait; repeat for both formats', collect)
    .option('--report <file>', 'also download the ISO/IEC 3532-1 report (JSON); implies --wait')
    .option('--html <file>', 'also download the report as HTML; implies --wait');
  // The convert options, as `scan2print convert` takes them: they become the job's params.
  addSegmentationOptions(cmd, { defaultMethod: 'auto' });
  addMeshOptions(cmd);
  dropOptions(cmd, LOCAL_ONLY);
  cmd
    .option('--keep-table', 'do not remove the scanner table / head holder (removed by default)')
    .option('--placement <rule>', 'where vertices go: edge (default: at the scanned edge) or threshold (on the threshold\'s iso-surface)')
    .option('--decimate-ratio <r>', 'decimate each model to this fraction of its raw triangle count (0 < r ≤ 1)')
    .option('--tissue <name>', 'tissue modelled (names the model files on the server)', 'bone')
    .option('--force', 'build the model even when the input assessment finds errors (recorded in the report)')
    .option('--json', 'print a summary (case, upload, job, downloads) as JSON on stdout')
    .option('-q, --quiet', 'no progress line, no summary')
    .addHelpText('after', `\nExamples:\n${UPLOAD_EXAMPLES.map((e) => `  $ ${e}`).join('\n')}\n`)
    .action(async (inputs: string[], o: UploadOptions, command: Command) => {
      const base = serverBase(o.server);
      const token = tokenOf(o);
      if (o.case === undefined && (!o.purpose?.trim() || !o.anatomy?.trim())) {
        throw usageError('BAD_OPTION', 'a new case needs --purpose and --anatomy (or give --case ID to add to an existing case)');
      }
      const params = uploadParams(command, o as unknown as Record<string, unknown>);
      checkParams(params);
      const outputs = o.output ?? [];
      outputs.forEach(checkModelOutput);
      const extra = [...(o.report ? [o.report] : []), ...(o.html ? [o.html] : [])];
      preflightOutputs([...outputs, ...extra]);
      const wait = o.wait === true || outputs.length > 0 || extra.length > 0;
      const say = (line: string) => {
        if (!o.quiet && !o.json) process.stdout.write(`${line}\n`);
      };
      const note = (line: string) => {
        if (!o.quiet) process.stderr.write(`scan2print: ${line}\n`);
      };
      if (isInsecureRemote(base)) note(`warning: ${base} is plain http to another machine: the token travels readable; use https`);

      const input = await collectInputs(inputs);
      // A wrong URL or token fails now, not after anonymising a whole series.
      const c = createClient(base, token);
      await c.json('GET', '/api/me');
      // So does a wrong case id.
      if (o.case !== undefined) await c.json('GET', `/api/cases/${encodeURIComponent(o.case)}`);
      const keyPath = resolve(o.keyFile ?? defaultKeyFile());
      const { key, created } = loadOrCreateKey(keyPath);
      if (created) note(`created a new project key in ${keyPath} — keep it secret and reuse it (the same key gives the same UIDs)`);
      const progress = createProgress({ quiet: o.quiet === true, json: o.json === true });
      let anon;
      try {
        anon = await anonymiseInputs(input.sources, key, { allowBurnedIn: o.allowBurnedIn === true, progress, note });
      } finally {
        progress.done();
      }
      if (anon.files.length === 0) throw inputError('NO_DICOM', `no DICOM files to upload (${anon.notDicom} non-DICOM files)`, input.label);

      let caseId = o.case;
      if (caseId === undefined) {
        caseId = (await c.json<{ id: string }>('POST', '/api/cases', { purpose: o.purpose!.trim(), anatomy: o.anatomy!.trim() })).id;
        say(`case ${caseId} created on ${base}`);
      }
      let upload;
      try {
        upload = await uploadAll(c, caseId, anon.files, progress, note);
      } finally {
        progress.done();
      }
      const mib = (upload.bytes / 1048576).toFixed(1);
      say(`uploaded ${anon.files.length} anonymised files (${mib} MiB, ${upload.added} new, ${upload.duplicates} already there)`);

      // One key for this run: a retried start (lost answer, 503) returns the same job instead of a second.
      const jobKey = randomUUID();
      const job = await withRetry(
        () => c.json<{ id: string }>('POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params }, { 'idempotency-key': jobKey }),
        4,
        (e, n) => note(`starting the job: ${(e as Error).message}; retry ${n}`),
      );
      say(`convert job ${job.id} started`);
      const summary: Record<string, unknown> = {
        server: base,
        caseId,
        files: { inputs: input.sources.length, uploaded: anon.files.length, notDicom: anon.notDicom, skipped: anon.skipped, ...upload },
        job: { id: job.id, params },
      };
      if (!wait) {
        say(`follow it: GET ${base}/api/jobs/${job.id} (state, progress), /api/jobs/${job.id}/events (live)`);
        if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }

      progress.stage('convert');
      let final: JobView;
      try {
        final = await followJob(c, job.id, (j) => progress.update(j.progress, j.stage ?? j.state));
      } finally {
        progress.done();
      }
      summary.job = { ...final, params };
      if (final.state !== 'succeeded') {
        if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        const why = final.state === 'cancelled' ? 'was cancelled' : `failed: ${final.error ?? 'no reason given'}`;
        throw inputError('JOB_FAILED', `convert job ${final.id} on ${base} ${why}`);
      }
      say(`convert job ${final.id} succeeded`);

      const arts = (await c.json<ArtifactView[]>('GET', `/api/cases/${caseId}/artifacts`)).filter((a) => a.jobId === final.id);
      const wanted: Array<[string, ArtifactView]> = [
        ...outputs.map((p): [string, ArtifactView] => [p, artifactFor(arts, p, 'model')]),
        ...(o.report ? [[o.report, artifactFor(arts, o.report, 'report-json')] as [string, ArtifactView]] : []),
        ...(o.html ? [[o.html, artifactFor(arts, o.html, 'report-html')] as [string, ArtifactView]] : []),
      ];
      // All or nothing: a model is never left without the report asked for beside it.
      const set = new OutputSet();
      const written: Array<{ path: string; artifact: string; sha256: string; bytes: number }> = [];
      try {
        for (const [path, a] of wanted) {
          set.write(path, await download(c, a));
          written.push({ path, artifact: a.name, sha256: a.sha256, bytes: a.bytes });
        }
        set.commit();
      } catch (e) {
        set.abort();
        throw e;
      }
      for (const w of written) say(`wrote ${w.path} (${w.artifact}, ${w.bytes} bytes, sha256 ${w.sha256}, verified)`);
      summary.artifacts = arts;
      summary.outputs = written;
      if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    });
};

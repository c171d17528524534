/**
 * A throwaway Orthanc (Debian's package, installed by scripts/install-test-deps.sh) on a free
 * loopback port, HTTP only, no DICOM listener, no authentication, storage in a temp folder.
 * Used by the anonymise comparisons (packages/cli/src/commands/anonymise.spec.ts and
 * test/adversarial/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts } from './ports.js';

export interface Orthanc {
  base: string;
  version: string;
  /** Stores a DICOM file or a zip of them; the instance IDs, or the reason it was refused. */
  store(bytes: Uint8Array): Promise<{ ids: string[] } | { refused: string }>;
  /** POST /instances/{id}/anonymize with the default profile: the anonymised file. */
  anonymize(id: string): Promise<{ bytes: Uint8Array } | { refused: string }>;
  /** DELETE /instances/{id}: the next case with the same SOPInstanceUID is then stored afresh. */
  remove(id: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startOrthanc(dir: string, name = 's2p-test'): Promise<Orthanc> {
  mkdirSync(dir, { recursive: true });
  const { proc, base, version } = await launchOrthancOnFreePorts(dir, 1, ([port]) => ({
    Name: name, StorageDirectory: join(dir, 'db'), IndexDirectory: join(dir, 'db'), HttpPort: port!,
    HttpServerEnabled: true, DicomServerEnabled: false, RemoteAccessAllowed: false, AuthenticationEnabled: false,
    Plugins: [], SaveJobs: false, StorageCompression: false, HttpThreadsCount: 4,
    // The cases share SOPInstanceUIDs (built from the same real file): a second upload must not answer with the first.
    OverwriteInstances: true,
  }));
  return {
    base,
    version,
    async store(bytes) {
      const r = await fetch(`${base}/instances`, { method: 'POST', body: bytes });
      const text = await r.text();
      if (!r.ok) return { refused: `HTTP ${r.status}: ${text.slice(0, 200).replace(/\s+/g, ' ')}` };
      const body = JSON.parse(text) as { ID: string } | { ID: string }[];
      const ids = (Array.isArray(body) ? body : [body]).map((x) => x.ID).filter(Boolean);
      return ids.length ? { ids } : { refused: `stored nothing: ${text.slice(0, 200)}` };
    },
    async anonymize(id) {
      const r = await fetch(`${base}/instances/${id}/anonymize`, { method: 'POST', body: '{}' });
      if (!r.ok) return { refused: `HTTP ${r.status}: ${(await r.text()).slice(0, 200).replace(/\s+/g, ' ')}` };
      return { bytes: new Uint8Array(await r.arrayBuffer()) };
    },
    async remove(id) {
      const r = await fetch(`${base}/instances/${id}`, { method: 'DELETE' });
      if (!r.ok) throw new Error(`Orthanc DELETE /instances/${id}: HTTP ${r.status}`);
    },
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise<void>((res) => proc.once('exit', () => res()));
      try {
        await fetch(`${base}/tools/shutdown`, { method: 'POST' });
      } catch {
        /* fall through to kill */
      }
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

type OrthancConfig = Record<string, unknown> & { HttpPort: number };
type Launched = { proc: ChildProcess; base: string; version: string; log: () => string };

/**
 * launchOrthanc with `n` free ports in its configuration (`make`), and again on new ports,
 * twice at most, when Orthanc exits while starting: between freePorts releasing a port and
 * Orthanc binding it, another process (the other test fork) may have taken it.
 */
export async function launchOrthancOnFreePorts(dir: string, n: number, make: (ports: number[]) => OrthancConfig): Promise<Launched & { ports: number[] }> {
  for (let attempt = 1; ; attempt++) {
    const ports = await freePorts(n);
    try {
      return { ...(await launchOrthanc(dir, make(ports))), ports };
    } catch (e) {
      if (attempt >= 3 || !(e as { exited?: boolean }).exited) throw e;
    }
  }
}

/** Writes `config` as DIR/orthanc.json, starts Debian's Orthanc on it and waits (≤ 60 s) until its HTTP API answers. */
async function launchOrthanc(dir: string, config: OrthancConfig): Promise<Launched> {
  writeFileSync(join(dir, 'orthanc.json'), JSON.stringify(config, null, 1));
  const bin = existsSync('/usr/sbin/Orthanc') ? '/usr/sbin/Orthanc' : 'Orthanc';
  const proc: ChildProcess = spawn(bin, [join(dir, 'orthanc.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout!.on('data', (d) => (log = (log + d).slice(-40_000)));
  proc.stderr!.on('data', (d) => (log = (log + d).slice(-40_000)));
  const base = `http://127.0.0.1:${config.HttpPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      // a deadline per try: whatever holds the port may accept and never answer
      const r = await fetch(`${base}/system`, { signal: AbortSignal.timeout(5_000) });
      if (r.ok) return { proc, base, version: ((await r.json()) as { Version: string }).Version, log: () => log };
    } catch {
      /* not up yet */
    }
    const exited = proc.exitCode !== null;
    if (Date.now() > deadline || exited) {
      if (!exited) proc.kill('SIGKILL');
      throw Object.assign(new Error(`Orthanc did not start on ${base}${exited ? ` (exit code ${proc.exitCode})` : ''}:\n${log.slice(-2000)}`), { exited });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

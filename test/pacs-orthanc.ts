/**
 * A throwaway Orthanc (Debian's orthanc + orthanc-dicomweb) for the PACS specs and benches:
 * HTTP and DICOM on free loopback ports, the DICOMweb plugin at /dicom-web/, no
 * authentication, storage in a temp folder. Modalities (our listener, another Orthanc) and
 * DICOMweb servers (our STOW-RS) are added at run time, once their ports are known.
 * test/orthanc.ts is the HTTP-only one the anonymise comparisons use.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchOrthancOnFreePorts } from './orthanc.js';


/** The DICOMweb plugin's .so (Debian: /usr/share/orthanc/plugins, a link into /usr/lib/orthanc). */
export function dicomWebPlugin(): string {
  const known = ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so', '/usr/lib/orthanc/libOrthancDicomWeb.so'];
  for (const p of known) if (existsSync(p)) return p;
  try {
    const listed = execFileSync('dpkg', ['-L', 'orthanc-dicomweb'], { encoding: 'utf8' }).split('\n');
    const so = listed.find((l) => /libOrthancDicomWeb\.so/.test(l));
    if (so && existsSync(so)) return so;
  } catch {
    /* not a Debian system: fall through */
  }
  throw new Error('the Orthanc DICOMweb plugin is missing: install orthanc-dicomweb (scripts/install-test-deps.sh)');
}

export interface PacsOrthanc {
  /** HTTP base, e.g. http://127.0.0.1:41234 */
  base: string;
  /** Its DICOM port (C-STORE/C-ECHO/C-FIND/C-MOVE SCP) and AE title. */
  dicomPort: number;
  aet: string;
  version: string;
  /** The last lines Orthanc logged (for failure messages). */
  log(): string;
  /** Stores DICOM files (bytes); the Orthanc instance IDs. */
  store(files: Uint8Array[]): Promise<string[]>;
  /** Stores every file of a folder (sorted by name); the Orthanc instance IDs. */
  storeFolder(dir: string): Promise<string[]>;
  /** PUT /modalities/{id}: a DICOM peer (our listener, another Orthanc). */
  addModality(id: string, aet: string, port: number, host?: string): Promise<void>;
  /** PUT /dicom-web/servers/{id}: a DICOMweb peer (our STOW-RS), with extra HTTP headers (a bearer token). */
  addDicomWebServer(id: string, url: string, headers?: Record<string, string>): Promise<void>;
  /** POST /modalities/{id}/echo: true when the peer answered the C-ECHO. */
  echo(modality: string): Promise<boolean>;
  /**
   * POST /modalities/{id}/store (synchronous C-STORE SCU of the given Orthanc resources:
   * instance, series or study IDs). Throws with Orthanc's answer when the peer refused.
   */
  sendToModality(
    modality: string,
    resources: string[],
    opts?: { moveOriginatorAet?: string; /** The calling AE title of this send (default its own). */ localAet?: string },
  ): Promise<{ instancesCount: number; failedInstancesCount: number }>;
  /** The same, started as an Orthanc job (asynchronous): its job ID. */
  startSendToModality(modality: string, resources: string[]): Promise<string>;
  /** POST /dicom-web/servers/{id}/stow: the resources sent by STOW-RS (synchronous). */
  stow(server: string, resources: string[]): Promise<void>;
  /** The Orthanc IDs of the instances of a study, by StudyInstanceUID (empty when unknown). */
  studyInstances(studyInstanceUid: string): Promise<string[]>;
  /** Every study Orthanc holds (Orthanc IDs). */
  studies(): Promise<string[]>;
  /** GET /instances/{id}/file. */
  instanceFile(id: string): Promise<Uint8Array>;
  /** GET /instances/{id}/simplified-tags. */
  instanceTags(id: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
  /** SIGKILL: an association it holds ends without a release (an interrupted transfer). */
  kill(): Promise<void>;
}

export interface PacsOrthancOptions {
  /** Its AE title (default ORTHANC). */
  aet?: string;
  /** Load the DICOMweb plugin (default true). */
  dicomWeb?: boolean;
  /** Store nothing on disk (StorageAccessOnFind …): off; Orthanc keeps what it receives in `dir`. */
  name?: string;
}

export async function startPacsOrthanc(dir: string, opts: PacsOrthancOptions = {}): Promise<PacsOrthanc> {
  mkdirSync(dir, { recursive: true });
  const aet = opts.aet ?? 'ORTHANC';
  const config = (port: number, dicomPort: number) => ({
    Name: opts.name ?? 's2p-pacs-test',
    StorageDirectory: join(dir, 'db'),
    IndexDirectory: join(dir, 'db'),
    HttpPort: port,
    HttpServerEnabled: true,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    DicomServerEnabled: true,
    DicomAet: aet,
    DicomPort: dicomPort,
    // Loopback peers only; any of them may store, echo, find and move (the send/query specs' SCU has no fixed port).
    DicomCheckCalledAet: false,
    DicomAlwaysAllowEcho: true,
    DicomAlwaysAllowStore: true,
    DicomAlwaysAllowFind: true,
    DicomAlwaysAllowMove: true,
    DicomModalities: {},
    DicomModalitiesInDatabase: false,
    OrthancPeers: {},
    SaveJobs: false,
    StorageCompression: false,
    HttpThreadsCount: 4,
    OverwriteInstances: true,
    Plugins: opts.dicomWeb === false ? [] : [dicomWebPlugin()],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: true, Ssl: false, Servers: {} },
  });
  const { proc, base, version, log, ports } = await launchOrthancOnFreePorts(dir, 2, ([http, dicom]) => config(http!, dicom!));
  const dicomPort = ports[1]!;

  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const r = await fetch(base + path, {
      method,
      ...(body === undefined ? {} : { body: body instanceof Uint8Array ? body : JSON.stringify(body) }),
    });
    if (!r.ok) throw new Error(`Orthanc ${method} ${path}: HTTP ${r.status}: ${(await r.text()).slice(0, 500).replace(/\s+/g, ' ')}`);
    return r;
  };
  const json = async <T>(method: string, path: string, body?: unknown): Promise<T> => (await (await call(method, path, body)).json()) as T;

  const store = async (files: Uint8Array[]): Promise<string[]> => {
    const ids: string[] = [];
    for (const f of files) ids.push((await json<{ ID: string }>('POST', '/instances', f)).ID);
    return ids;
  };

  return {
    base,
    dicomPort,
    aet,
    version,
    log,
    store,
    async storeFolder(folder) {
      const names = readdirSync(folder).filter((n) => !n.startsWith('.')).sort();
      return store(names.map((n) => new Uint8Array(readFileSync(join(folder, n)))));
    },
    async addModality(id, peerAet, peerPort, host = '127.0.0.1') {
      await call('PUT', `/modalities/${encodeURIComponent(id)}`, { AET: peerAet, Host: host, Port: peerPort });
    },
    async addDicomWebServer(id, url, headers = {}) {
      await call('PUT', `/dicom-web/servers/${encodeURIComponent(id)}`, { Url: url, HttpHeaders: headers });
    },
    async echo(modality) {
      const r = await fetch(`${base}/modalities/${encodeURIComponent(modality)}/echo`, { method: 'POST', body: '{}' });
      await r.text();
      return r.ok;
    },
    async sendToModality(modality, resources, o = {}) {
      const body = {
        Resources: resources,
        Synchronous: true,
        ...(o.moveOriginatorAet ? { MoveOriginatorAet: o.moveOriginatorAet } : {}),
        ...(o.localAet ? { LocalAet: o.localAet } : {}),
      };
      const r = await json<{ InstancesCount?: number; FailedInstancesCount?: number }>('POST', `/modalities/${encodeURIComponent(modality)}/store`, body);
      return { instancesCount: r.InstancesCount ?? 0, failedInstancesCount: r.FailedInstancesCount ?? 0 };
    },
    async startSendToModality(modality, resources) {
      const r = await json<{ ID: string }>('POST', `/modalities/${encodeURIComponent(modality)}/store`, { Resources: resources, Asynchronous: true });
      return r.ID;
    },
    async stow(server, resources) {
      await call('POST', `/dicom-web/servers/${encodeURIComponent(server)}/stow`, { Resources: resources, Synchronous: true });
    },
    async studyInstances(uid) {
      const found = await json<{ ID: string; Type: string }[]>('POST', '/tools/lookup', new TextEncoder().encode(uid));
      const study = found.find((x) => x.Type === 'Study');
      if (!study) return [];
      return (await json<{ ID: string }[]>('GET', `/studies/${study.ID}/instances`)).map((x) => x.ID);
    },
    studies: () => json<string[]>('GET', '/studies'),
    async instanceFile(id) {
      return new Uint8Array(await (await call('GET', `/instances/${id}/file`)).arrayBuffer());
    },
    instanceTags: (id) => json<Record<string, unknown>>('GET', `/instances/${id}/simplified-tags`),
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
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((res) => proc.once('exit', () => res()));
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

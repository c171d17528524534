// PACS receive throughput (issue 15): instances per second the server's DICOM listener takes
// from a real Orthanc (C-STORE, synchronous: Orthanc waits for each answer, which comes after
// the instance is checked and anonymised in memory), and by STOW-RS, against Orthanc storing
// the same series from another Orthanc. Both Orthancs are Debian's, on loopback.
//
//   node bench/pacs/receive.mjs [--series ct/philips-head-phantom-1mm] [--runs 3]
//
// Needs the built CLI (npx tsc -b packages/core packages/server packages/cli), orthanc and
// orthanc-dicomweb. Prints one JSON object (medians and every run).
/* global fetch */
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCAN2PRINT } from '../lib/command.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = SCAN2PRINT;
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const SERIES = opt('series', 'ct/philips-head-phantom-1mm');
const RUNS = Number(opt('runs', '3'));
const DATA = process.env.SCAN2PRINT_DATA ?? resolve(root, '../shared/data');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

function dicomWebPlugin() {
  for (const p of ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so', '/usr/lib/orthanc/libOrthancDicomWeb.so']) if (existsSync(p)) return p;
  const so = execFileSync('dpkg', ['-L', 'orthanc-dicomweb'], { encoding: 'utf8' }).split('\n').find((l) => /libOrthancDicomWeb\.so/.test(l));
  if (!so) throw new Error('orthanc-dicomweb is not installed');
  return so;
}

async function startOrthanc(dir, aet) {
  mkdirSync(dir, { recursive: true });
  const [port, dicomPort] = [await freePort(), await freePort()];
  writeFileSync(
    join(dir, 'orthanc.json'),
    JSON.stringify({
      Name: aet, StorageDirectory: join(dir, 'db'), IndexDirectory: join(dir, 'db'), HttpPort: port, RemoteAccessAllowed: false,
      AuthenticationEnabled: false, DicomServerEnabled: true, DicomAet: aet, DicomPort: dicomPort, DicomCheckCalledAet: false,
      DicomAlwaysAllowStore: true, DicomAlwaysAllowEcho: true, SaveJobs: false, StorageCompression: false, OverwriteInstances: true,
      Plugins: [dicomWebPlugin()], DicomWeb: { Enable: true, Root: '/dicom-web/' },
    }),
  );
  const proc = spawn('Orthanc', [join(dir, 'orthanc.json')], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/system`)).ok) break;
    } catch {
      /* starting */
    }
    if (i > 300) throw new Error(`Orthanc ${aet} did not start`);
    await sleep(200);
  }
  const call = async (method, path, body) => {
    const r = await fetch(base + path, { method, ...(body === undefined ? {} : { body: body instanceof Uint8Array ? body : JSON.stringify(body) }) });
    const text = await r.text();
    if (!r.ok) throw new Error(`Orthanc ${aet} ${method} ${path}: ${r.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  };
  return {
    base, dicomPort, aet, call,
    async stop() {
      const gone = new Promise((r) => proc.once('exit', r));
      await fetch(`${base}/tools/shutdown`, { method: 'POST' }).catch(() => proc.kill('SIGKILL'));
      await gone;
    },
  };
}

async function startServer(work) {
  const log = join(work, 'serve.log');
  const fd = openSync(log, 'w');
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k === 'DATABASE_URL' || k.startsWith('S3_') || k.startsWith('SCAN2PRINT_')) delete env[k];
  const child = spawn(cli, ['serve', '--data', join(work, 'data'), '--port', '0', '--workers', '0', '--dicom-port', '0', '--dicom-ae', 'S2P-BENCH', '--pacs-quiet', '2'], { env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  for (let i = 0; ; i++) {
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    const url = /scan2print: serving (http:\/\/\S+?)\/api /.exec(text)?.[1];
    const dicomPort = /DICOM listener \S+ on [^:]+:(\d+)/.exec(text)?.[1];
    if (url && dicomPort) {
      const token = readFileSync(join(work, 'data', 'admin.token'), 'utf8').trim();
      return { url, dicomPort: Number(dicomPort), token, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
    }
    if (child.exitCode !== null || i > 1800) throw new Error(`scan2print serve did not start:\n${text.slice(-2000)}`);
    await sleep(100);
  }
}

async function api(s, token, method, path, body) {
  const r = await fetch(s.url + path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function waitReceptions(s, token, n) {
  for (let i = 0; i < 3000; i++) {
    const rs = (await api(s, token, 'GET', '/api/pacs/receptions')).receptions.filter((r) => r.status === 'case-created');
    if (rs.length >= n) return rs;
    await sleep(100);
  }
  throw new Error('no case from the received study');
}

const work = mkdtempSync(join(tmpdir(), 's2p-bench-pacs-'));
const dir = resolve(DATA, SERIES);
const files = readdirSync(dir).filter((n) => !/^(DICOMDIR|DIRFILE)$/i.test(n) && !n.startsWith('.')).sort().map((n) => new Uint8Array(readFileSync(join(dir, n))));
const bytes = files.reduce((t, f) => t + f.length, 0);
const sender = await startOrthanc(join(work, 'sender'), 'SENDER');
const peer = await startOrthanc(join(work, 'peer'), 'PEER');
const server = await startServer(work);
const out = { series: SERIES, instances: files.length, mb: +(bytes / 1e6).toFixed(1), runs: RUNS, cpus: cpus().length, loadBefore: loadavg()[0], orthanc: (await sender.call('GET', '/system')).Version, cstore: [], stow: [], orthancToOrthanc: [] };
try {
  for (const f of files) await sender.call('POST', '/instances', f);
  const study = (await sender.call('GET', '/studies'))[0];
  const { id: orgId } = await api(server, server.token, 'POST', '/api/orgs', { name: 'bench', serverAnonymise: true });
  await api(server, server.token, 'POST', '/api/pacs/routes', { orgId, callingAe: 'SENDER' });
  const stow = await api(server, server.token, 'POST', '/api/pacs/routes', { orgId, stowToken: true });
  await sender.call('PUT', '/modalities/s2p', { AET: 'S2P-BENCH', Host: '127.0.0.1', Port: server.dicomPort });
  await sender.call('PUT', '/modalities/peer', { AET: 'PEER', Host: '127.0.0.1', Port: peer.dicomPort });
  await sender.call('PUT', '/dicom-web/servers/s2p', { Url: `${server.url}/dicom-web/`, HttpHeaders: { Authorization: `Bearer ${stow.token}` } });
  let cases = 0;
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    await sender.call('POST', '/modalities/peer/store', { Resources: [study], Synchronous: true });
    out.orthancToOrthanc.push(+(performance.now() - t).toFixed(0));
    await peer.call('DELETE', `/studies/${(await peer.call('GET', '/studies'))[0]}`);
    t = performance.now();
    await sender.call('POST', '/modalities/s2p/store', { Resources: [study], Synchronous: true });
    out.cstore.push(+(performance.now() - t).toFixed(0));
    await waitReceptions(server, server.token, ++cases);
    t = performance.now();
    await sender.call('POST', '/dicom-web/servers/s2p/stow', { Resources: [study], Synchronous: true });
    out.stow.push(+(performance.now() - t).toFixed(0));
    await waitReceptions(server, server.token, ++cases);
  }
  const ips = (ms) => +(files.length / (ms / 1000)).toFixed(1);
  out.instancesPerSecond = {
    cstoreToScan2print: ips(median(out.cstore)),
    stowToScan2print: ips(median(out.stow)),
    cstoreOrthancToOrthanc: ips(median(out.orthancToOrthanc)),
  };
  out.loadAfter = loadavg()[0];
  out.note = 'ms per run of the whole series; scan2print checks and anonymises each instance before answering it (serverAnonymise on); Orthanc only stores';
  console.log(JSON.stringify(out, null, 1));
} finally {
  await server.stop();
  await sender.stop();
  await peer.stop();
  rmSync(work, { recursive: true, force: true });
}

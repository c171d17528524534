/**
 * The learned classifier is core code, so it must run in a browser exactly as in Node
 * (issue 14: "core, runs in Node and in the browser"). Core's forest module is bundled for
 * the browser from source with the web app's own bundler (Vite), loaded into real Chromium
 * from a loopback server with the shipped model and a crop of a real CT, and run there on
 * the page's thread. Its labels, group names, confidences and probabilities must equal
 * Node's byte for byte: same code, same input, same output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { cropVolume, decodeForest, runForest, type Volume } from '@scan2print/core';
import { loadExampleCt } from '../ct-volumes.js';
import { launchChromium } from './chromium.js';

const root = resolve(import.meta.dirname, '../..');
const modelFile = join(root, 'packages/core/models/bone-forest.bin');
const sha = (a: ArrayBufferView) => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

/** The page's side: fetch the model and the CT, run the forest, hash what it returns. */
const PAGE_SCRIPT = `
import { decodeForest, runForest } from '/forest.js';
const hex = async (a) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(a.buffer, a.byteOffset, a.byteLength)))]
  .map((b) => b.toString(16).padStart(2, '0')).join('');
window.forestRun = async (grid, int16) => {
  const model = decodeForest(new Uint8Array(await (await fetch('/model.bin')).arrayBuffer()), 'bone-forest.bin');
  const buf = await (await fetch('/ct.bin')).arrayBuffer();
  const out = (await runForest({ grid, data: int16 ? new Int16Array(buf) : new Float32Array(buf) }, model, undefined)).output;
  return {
    labels: await hex(out.labels.data),
    group: await hex(out.group),
    confidence: await hex(out.confidence),
    probability: await hex(out.probability.data),
    bone: out.labels.data.reduce((s, v) => s + (v ? 1 : 0), 0),
    inBrowser: typeof window === 'object' && typeof process === 'undefined',
  };
};
`;

/** core's forest module as one ES module for the browser, built by the web package's Vite. */
async function bundleForest(outDir: string): Promise<string> {
  const requireWeb = createRequire(join(root, 'packages/web/package.json'));
  const { build } = (await import(requireWeb.resolve('vite'))) as typeof import('vite');
  const entry = join(outDir, 'entry.ts');
  const src = (p: string) => JSON.stringify(join(root, 'packages/core/src', p));
  writeFileSync(entry, `export { decodeForest, runForest } from ${src('segment/forest/index.ts')};\n`);
  await build({
    configFile: false,
    logLevel: 'silent',
    root: outDir,
    build: { outDir: join(outDir, 'dist'), emptyOutDir: true, minify: false, lib: { entry, formats: ['es'], fileName: () => 'forest.js' } },
  });
  return readFileSync(join(outDir, 'dist/forest.js'), 'utf8');
}

describe('the forest classifier in a real browser', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let browser: Browser;
  let crop: Volume;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 's2p-forest-browser-'));
    const ct = loadExampleCt();
    // a block across the spine and the ribs: bone of several groups and soft tissue
    const [nx, ny, nz] = ct.grid.dims;
    const c = [Math.floor(nx / 2), Math.floor(ny / 2), Math.floor(nz / 2)];
    crop = cropVolume(ct, { min_ijk: [c[0]! - 48, c[1]! - 24, c[2]! - 20], max_ijk: [c[0]! + 48, c[1]! + 48, c[2]! + 20] }).output;
    const files: Record<string, { type: string; body: Buffer }> = {
      '/': { type: 'text/html', body: Buffer.from('<!doctype html><title>forest</title><script type="module" src="/run.js"></script>') },
      '/run.js': { type: 'text/javascript', body: Buffer.from(PAGE_SCRIPT) },
      '/forest.js': { type: 'text/javascript', body: Buffer.from(await bundleForest(dir)) },
      '/model.bin': { type: 'application/octet-stream', body: readFileSync(modelFile) },
      '/ct.bin': { type: 'application/octet-stream', body: Buffer.from(crop.data.buffer, crop.data.byteOffset, crop.data.byteLength) },
    };
    server = createServer((req, res) => {
      const f = files[req.url ?? ''];
      res.writeHead(f ? 200 : 404, { 'content-type': f?.type ?? 'text/plain' }).end(f?.body ?? 'not found');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((ok) => server?.close(ok));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('labels a real CT crop byte-identically to Node', async () => {
    const modelBytes = new Uint8Array(readFileSync(modelFile));
    const node = (await runForest(crop, decodeForest(modelBytes, modelFile), undefined)).output;
    const want = {
      labels: sha(node.labels.data),
      group: sha(node.group),
      confidence: sha(node.confidence),
      probability: sha(node.probability!.data),
      bone: Array.from(node.labels.data).filter((v) => v !== 0).length,
    };
    // the crop holds bone of more than one group, so the comparison is not of empty maps
    expect(want.bone).toBeGreaterThan(1000);
    expect(new Set(node.labels.data).size).toBeGreaterThan(2);

    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url + '/');
    type PageRun = (g: unknown, i: boolean) => Promise<typeof want & { inBrowser: boolean }>;
    await page.waitForFunction(() => 'forestRun' in globalThis);
    const got = await page.evaluate(
      ({ grid, int16 }) => (globalThis as unknown as { forestRun: PageRun }).forestRun(grid, int16),
      { grid: crop.grid, int16: crop.data instanceof Int16Array },
    );
    expect(errors).toEqual([]);
    expect(got.inBrowser).toBe(true);
    expect({ ...got, inBrowser: undefined }).toEqual({ ...want, inBrowser: undefined });
  });
});

import { it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readStl } from '../formats/stl.js';
import { decimateMesh, previewMesh } from './decimate.js';
import { checkMesh } from './topology.js';

it('scratch', async () => {
  let t = performance.now();
  const lap = (s: string) => { const n = performance.now(); console.log(s, Math.round(n - t), 'ms'); t = n; };
  const m = readStl(new Uint8Array(readFileSync('/tmp/ph/skull.stl')), 'x');
  lap('read');
  const p = await previewMesh(m); lap('preview'); console.log(JSON.stringify(p.record)); console.log(JSON.stringify(checkMesh(p.output)));
  const d = await decimateMesh(m, { targetFaces: 500000 }); lap('decimate 500k'); console.log(JSON.stringify(d.record)); console.log(JSON.stringify(checkMesh(d.output)));
  const e = await decimateMesh(m, { maxError_mm: 0.1 }); lap('decimate 0.1mm'); console.log(JSON.stringify(e.record)); 
});

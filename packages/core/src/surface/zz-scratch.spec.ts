import { it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readPly } from '../formats/ply.js';
import { buildEdgeTable, labelShells } from './mesh-utils.js';
import { countNonManifoldVertices, countTopology } from './topology.js';
import { shellNesting } from './cavities.js';
import { mergeDuplicateVertices, orientShells, removeDegenerateFaces } from './cleanup.js';
import { manifold3dCheck } from './gate.js';
import { smoothMesh } from './smooth.js';

it('scratch', async () => {
  let t = performance.now();
  const lap = (s: string) => { const n = performance.now(); console.log(s, Math.round(n - t), 'ms'); t = n; };
  const m = readPly(new Uint8Array(readFileSync('/tmp/phantom-raw.ply')), 'x');
  lap('read');
  const et = buildEdgeTable(m.indices, m.positions.length / 3); lap('edges');
  countTopology(m, et); lap('countTopology incl nmv');
  countNonManifoldVertices(m); lap('nmv');
  const s = labelShells(m, et); lap('shells');
  shellNesting(m, s.shellOf, s.shellCount); lap('nesting');
  mergeDuplicateVertices(m); lap('merge');
  removeDegenerateFaces(m); lap('degenerate');
  orientShells(m); lap('orient');
  console.log(await manifold3dCheck(m)); lap('manifold3d');
  const r = smoothMesh(m); lap('smooth'); console.log(JSON.stringify(r.record.figures));
});

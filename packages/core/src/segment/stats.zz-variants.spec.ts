import { it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dataPath } from '../../../../test/data.js';
import type { LabelMap } from '../geometry/types.js';
import { readNifti, readNiftiLabels } from '../formats/nifti.js';
import { evaluateSegmentation } from '../evaluate/stage.js';
import { findAutoThreshold } from './auto-threshold.js';
import { removeTable } from './table.js';
import { morphology } from './morphology.js';
import { fillHoles } from './fill-holes.js';
import { keepComponents } from './components.js';
it('variants', () => {
  const dir = 'labelled/totalsegmentator';
  const volume = readNifti(new Uint8Array(readFileSync(dataPath(dir, 'example_ct.nii.gz'))), 'x').volume;
  const ref = readNiftiLabels(new Uint8Array(readFileSync(dataPath(dir, 'example_seg_fast_force_split.nii.gz'))), 'y');
  const auto = findAutoThreshold(volume).result;
  console.log(JSON.stringify(auto));
  const run = (name: string, thr: number, table: boolean, close: number, fill: 'none' | '3d' | 'axial' | 'all', minIsland: number) => {
    const data = new Uint8Array(volume.data.length);
    for (let p = 0; p < data.length; p++) data[p] = volume.data[p]! >= thr ? 1 : 0;
    let l: LabelMap = { grid: volume.grid, data };
    let rem = 0;
    if (table) { const t = removeTable(l, volume, {}, {}); l = t.output; rem = t.record.figures.removedVoxels as number; }
    if (close) l = morphology(l, volume, { op: 'close', radius_mm: close }, {}).output;
    if (fill === '3d') l = fillHoles(l, volume, { mode: '3d' }, {}).output;
    if (fill === 'axial') l = fillHoles(l, volume, { mode: 'both', axes: [2] }, {}).output;
    if (fill === 'all') l = fillHoles(l, volume, { mode: 'both', axes: [0, 1, 2] }, {}).output;
    if (minIsland) l = keepComponents(l, volume, { minIsland_mm3: minIsland }, {}).output;
    const m = evaluateSegmentation(ref, l, { refLabels: '25-50,69-78,91-116' }).output;
    console.log(name, thr.toFixed(1), 'tableRemoved', rem, 'Dice', m.dice!.toFixed(4), 'HD95', m.hausdorff95_mm!.toFixed(2), 'ASSD', m.assd_mm!.toFixed(3), 'sens', m.sensitivity!.toFixed(3), 'prec', m.precision!.toFixed(3));
  };
  const t = auto.threshold_HU;
  run('table+fill all+island500', t, true, 0, 'all', 500);
  run('table+fill all+island2000', t, true, 0, 'all', 2000);
  run('table+close1.5(no-op at 3mm)+fill all', t, true, 1.5, 'all', 500);
});

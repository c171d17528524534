import { describe, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath } from '../../../../test/data.js';
import { importSeries, type DicomSource } from './import.js';
import { assessVolume } from '../assess/assess.js';

function dirSources(dir: string): DicomSource[] {
  return readdirSync(dir).sort().filter((n) => statSync(join(dir, n)).isFile()).map((n) => ({ name: join(dir, n), read: async () => new Uint8Array(readFileSync(join(dir, n))) }));
}
describe('dev', () => {
  for (const d of ['ct/ge-head-tilt-variable-spacing', 'ct/philips-head-phantom-tilt', 'labelled/totalsegmentator/example_ct_dicom', 'hardcases/slicer-ctheadaxial-64', 'ct/philips-head-phantom-1mm']) {
    it(d, async () => {
      const r = await importSeries(dirSources(dataPath(d)));
      const a = assessVolume({ volume: r.output.volume, modality: r.output.chosen.modality });
      console.log(d, JSON.stringify({ ...r.record, series: r.output.series }, null, 1), JSON.stringify(a.record, null, 1));
    });
  }
});

/**
 * ASCII STL and OBJ coordinates beyond single precision: 1e39 is a finite double, but the mesh
 * stores float32, where it becomes Infinity (a corner with no place in space, as a NaN in
 * binary STL). Real files on disk, read as every command reads a model: refused naming the
 * file, the line and the value; the largest float32 still reads.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readModelFile } from './mesh-read.js';

const dir = mkdtempSync(join(tmpdir(), 's2p-float32-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return () => readModelFile(file, (f) => new Uint8Array(readFileSync(f)));
};

const stl = (x: string) => `solid t\nfacet normal 0 0 1\n outer loop\n  vertex 0 0 0\n  vertex 1 0 0\n  vertex ${x} 1 0\n endloop\nendfacet\nendsolid t\n`;
const obj = (x: string) => `# t\nv 0 0 0\nv 1 0 0\nv ${x} 1 0\nf 1 2 3\n`;

describe('coordinates beyond float32 in text formats', () => {
  it('ASCII STL: 1e39 and -1e39 refused with the file, line 6 and the value', () => {
    for (const x of ['1e39', '-1e39']) {
      expect(read('big.stl', stl(x))).toThrow(
        expect.objectContaining({ kind: 'input', code: 'STL_BAD_NUMBER', message: expect.stringMatching(new RegExp(`big\\.stl: ASCII STL line 6: vertex coordinate ${x} is beyond single precision`)) }),
      );
    }
  });

  it('OBJ: 1e39 refused with the file, line 4 and the value', () => {
    expect(read('big.obj', obj('1e39'))).toThrow(expect.objectContaining({ kind: 'input', code: 'OBJ_BAD_VERTEX', message: expect.stringMatching(/big\.obj: line 4: vertex coordinate 1e39 is beyond single precision/) }));
  });

  it('the largest float32 (3.4e38) still reads, as a finite coordinate', () => {
    for (const [name, text] of [['max.stl', stl('3.4e38')], ['max.obj', obj('3.4e38')]] as const) {
      const { mesh } = read(name, text)();
      expect(mesh.positions.every((v) => Number.isFinite(v))).toBe(true);
      expect(mesh.positions[6]).toBeCloseTo(3.4e38, -32);
    }
  });
});

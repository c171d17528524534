/**
 * splitComponents on meshes made by core: a hollow sphere meshed by core's isosurface (outer
 * skin and inner cavity: two components), and STL round trips through core's writer and
 * reader (which welds), where shapes that touch at one vertex are one component.
 */
import { describe, expect, it } from 'vitest';
import { extractSurfaceMesh, makePhantom, phantomLabels, readStl, writeStlBinary, type Mesh } from '@scan2print/core';
import { labelComponents, splitComponents, totals } from './components.js';

/** An axis-aligned box as 12 outward (CCW) triangles. */
function box(min: [number, number, number], max: [number, number, number]): Mesh {
  const [x0, y0, z0] = min;
  const [x1, y1, z1] = max;
  const positions = Float32Array.of(x0, y0, z0, x1, y0, z0, x1, y1, z0, x0, y1, z0, x0, y0, z1, x1, y0, z1, x1, y1, z1, x0, y1, z1);
  const faces = [0, 2, 1, 0, 3, 2, 4, 5, 6, 4, 6, 7, 0, 1, 5, 0, 5, 4, 1, 2, 6, 1, 6, 5, 2, 3, 7, 2, 7, 6, 3, 0, 4, 3, 4, 7];
  return { positions, indices: Uint32Array.from(faces) };
}

function concat(...meshes: Mesh[]): Mesh {
  const nv = meshes.reduce((s, m) => s + m.positions.length, 0);
  const ni = meshes.reduce((s, m) => s + m.indices.length, 0);
  const positions = new Float32Array(nv);
  const indices = new Uint32Array(ni);
  let pv = 0;
  let pi = 0;
  for (const m of meshes) {
    positions.set(m.positions, pv);
    for (let i = 0; i < m.indices.length; i++) indices[pi + i] = m.indices[i]! + pv / 3;
    pv += m.positions.length;
    pi += m.indices.length;
  }
  return { positions, indices };
}

describe('splitComponents', () => {
  it('splits core\'s mesh of a hollow sphere into the outer skin and the cavity, with their volumes', () => {
    const ph = makePhantom({ kind: 'shell', outerRadius_mm: 9, wall_mm: 2 }, { spacing_mm: [0.7, 0.7, 0.9] });
    const mesh = extractSurfaceMesh(phantomLabels(ph), { field: ph.volume, level: ph.level });
    const parts = splitComponents(mesh);
    expect(parts).toHaveLength(2);
    const [outer, inner] = parts;
    expect(outer!.triangles + inner!.triangles).toBe(mesh.indices.length / 3);
    // Outer skin encloses the sphere of radius 9 (positive); the cavity's skin faces inwards (radius 7, negative).
    expect(Math.abs(outer!.volume_mm3 / ((4 / 3) * Math.PI * 9 ** 3) - 1)).toBeLessThan(0.02);
    expect(Math.abs(inner!.volume_mm3 / (-(4 / 3) * Math.PI * 7 ** 3) - 1)).toBeLessThan(0.03);
    for (let a = 0; a < 3; a++) {
      expect(outer!.bboxMax[a]! - outer!.bboxMin[a]!).toBeGreaterThan(17);
      expect(outer!.bboxMax[a]! - outer!.bboxMin[a]!).toBeLessThan(19);
      expect(inner!.bboxMax[a]! - inner!.bboxMin[a]!).toBeLessThan(15);
    }
    // Each part's indices address only its own vertices.
    for (const p of parts) expect(Math.max(...p.indices)).toBe(p.positions.length / 3 - 1);
    expect(totals(parts).volume_mm3).toBeCloseTo(outer!.volume_mm3 + inner!.volume_mm3, 6);
  });

  it('after an STL round trip (core welds), boxes touching at one corner are one component, a separate box another', () => {
    const a = box([0, 0, 0], [10, 10, 10]);
    const touching = box([10, 10, 10], [12, 13, 14]); // shares the corner (10,10,10) once welded
    const apart = box([50, 0, 0], [51, 2, 3]);
    const soup = readStl(writeStlBinary(concat(a, apart, touching)), 'boxes.stl');
    expect(labelComponents(soup).count).toBe(2);
    const parts = splitComponents(soup);
    expect(parts.map((p) => p.triangles)).toEqual([24, 12]);
    expect(parts[0]!.volume_mm3).toBeCloseTo(1000 + 2 * 3 * 4, 3);
    expect(parts[1]!.volume_mm3).toBeCloseTo(6, 4);
    expect(parts[1]!.bboxMin).toEqual([50, 0, 0]);
    expect(parts[1]!.bboxMax).toEqual([51, 2, 3]);
  });

  it('without welding, an STL soup would be one component per triangle: the reader\'s weld is what joins them', () => {
    const m = box([0, 0, 0], [1, 1, 1]);
    const soupPositions = new Float32Array(m.indices.length * 3);
    m.indices.forEach((v, i) => soupPositions.set(m.positions.subarray(3 * v, 3 * v + 3), 3 * i));
    const soup: Mesh = { positions: soupPositions, indices: Uint32Array.from(m.indices.keys()) };
    expect(labelComponents(soup).count).toBe(12);
    expect(labelComponents(readStl(writeStlBinary(soup), 'cube.stl')).count).toBe(1);
  });

  it('an empty mesh has no parts', () => {
    expect(splitComponents({ positions: new Float32Array(0), indices: new Uint32Array(0) })).toEqual([]);
  });
});

/**
 * floodJoint on a synthetic hip: a ball (cancellous, 300 HU) on a neck running down, sitting in
 * a cup of dense bone (800 HU) with a 1-cell joint space (80 HU) between, the whole joined in
 * one label as a threshold and marrow fill join them. The neck's end is named head; the flood
 * gives the ball and the neck to the head and leaves the cup to the socket.
 */
import { describe, expect, it } from 'vitest';
import { coarseGridOf } from './coarse-grid.js';
import { floodJoint } from './ball-joint.js';
import { IDENTITY_DIRECTION } from '../geometry/grid.js';

const N = 40;
const H = 1;
const S = 2;
function hip() {
  const grid = { dims: [N, N, N] as [number, number, number], spacing_mm: [2, 2, 2] as [number, number, number], origin_mm: [0, 0, 0] as [number, number, number], direction: IDENTITY_DIRECTION };
  const cg = coarseGridOf(grid, 2);
  const hu = new Float32Array(N * N * N).fill(0);
  const lab = new Int32Array(N * N * N);
  const c = [20, 20, 22];
  for (let k = 0; k < N; k++) {
    for (let j = 0; j < N; j++) {
      for (let i = 0; i < N; i++) {
        const q = i + j * N + k * N * N;
        const d = Math.hypot(i - c[0]!, j - c[1]!, k - c[2]!) * 2; // mm
        const neck = Math.hypot(i - c[0]!, j - c[1]!) * 2 <= 10 && k < c[2]!;
        if (d <= 22 || neck) {
          hu[q] = 300; // head and neck
          lab[q] = S;
        } else if (d <= 24.5 && k >= c[2]! - 4) {
          hu[q] = 80; // joint space, filled into the mask
          lab[q] = S;
        } else if (d <= 34 && k >= c[2]! - 4) {
          hu[q] = 800; // the cup
          lab[q] = S;
        }
        if (neck && k <= 8) lab[q] = H; // the femur named below the joint (its neck, within a head diameter of the ball)
      }
    }
  }
  return { cg, hu, lab, c };
}

describe('floodJoint', () => {
  it('gives the ball and neck to the head and the cup to the socket', () => {
    const { cg, hu, lab, c } = hip();
    const renamed = floodJoint(lab, hu, cg, H, S, 60);
    expect(renamed).toBeGreaterThan(0);
    let ballHead = 0;
    let ball = 0;
    let cupHead = 0;
    let cup = 0;
    for (let q = 0; q < lab.length; q++) {
      if (!lab[q]) continue;
      const i = q % N;
      const j = Math.floor(q / N) % N;
      const k = Math.floor(q / (N * N));
      const d = Math.hypot(i - c[0]!, j - c[1]!, k - c[2]!) * 2;
      if (d <= 20) {
        ball++;
        if (lab[q] === H) ballHead++;
      } else if (d >= 27 && d <= 34 && k >= c[2]! - 4 && hu[q] === 800) {
        cup++;
        if (lab[q] === H) cupHead++;
      }
    }
    expect(ballHead / ball).toBeGreaterThan(0.95);
    expect(cupHead / cup).toBeLessThan(0.05);
  });

  it('renames nothing when the head structure has no cells', () => {
    const { cg, hu, lab } = hip();
    for (let q = 0; q < lab.length; q++) if (lab[q] === H) lab[q] = S;
    expect(floodJoint(lab, hu, cg, H, S, 60)).toBe(0);
  });
});

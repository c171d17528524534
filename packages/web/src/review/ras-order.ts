/**
 * NiiVue keeps its drawing bitmap in "RAS order" (x fastest towards the subject's right,
 * then anterior, then superior), not in the file's voxel order. Our label maps and the
 * server work in the file's (native) order. A RasLayout is NiiVue's own description of
 * the mapping (NVImage dimsRAS, img2RASstart, img2RASstep): the native index of RAS voxel
 * (x, y, z) is start[0] + x·step[0] + start[1] + y·step[1] + start[2] + z·step[2].
 */
export interface RasLayout {
  /** Voxels along RAS x, y, z. */
  dims: [number, number, number];
  start: [number, number, number];
  step: [number, number, number];
}

/** The layout of a grid NiiVue does not reorder (native order is already RAS). */
export function identityLayout(dims: [number, number, number]): RasLayout {
  return { dims: [...dims], start: [0, 0, 0], step: [1, dims[0], dims[0] * dims[1]] };
}

export function voxelTotal(l: RasLayout): number {
  return l.dims[0] * l.dims[1] * l.dims[2];
}

/**
 * Native-order voxels → a new array in RAS order. Written out as plain loops (no callback per
 * voxel): on a 37-megavoxel map the per-voxel call cost seconds on a loaded machine.
 */
export function nativeToRas<T extends Uint8Array>(src: T, l: RasLayout): Uint8Array {
  const out = new Uint8Array(voxelTotal(l));
  const [nx, ny, nz] = l.dims;
  const sx = l.step[0];
  let ras = 0;
  for (let z = 0; z < nz; z++) {
    const zi = l.start[2] + z * l.step[2];
    for (let y = 0; y < ny; y++) {
      let ni = zi + l.start[1] + y * l.step[1] + l.start[0];
      for (let x = 0; x < nx; x++, ni += sx) out[ras++] = src[ni]!;
    }
  }
  return out;
}

/** RAS-order voxels → a new array in native order. */
export function rasToNative(src: Uint8Array, l: RasLayout): Uint8Array {
  const out = new Uint8Array(voxelTotal(l));
  const [nx, ny, nz] = l.dims;
  const sx = l.step[0];
  let ras = 0;
  for (let z = 0; z < nz; z++) {
    const zi = l.start[2] + z * l.step[2];
    for (let y = 0; y < ny; y++) {
      let ni = zi + l.start[1] + y * l.step[1] + l.start[0];
      for (let x = 0; x < nx; x++, ni += sx) out[ni] = src[ras++]!;
    }
  }
  return out;
}

/**
 * Threshold of a native-order HU volume written straight into RAS order (one pass, no
 * intermediate array): 1 where lo ≤ HU ≤ hi. Returns the labelled voxel count too.
 */
export function thresholdToRas(hu: ArrayLike<number>, l: RasLayout, lo: number, hi: number): { labels: Uint8Array; count: number } {
  const out = new Uint8Array(voxelTotal(l));
  let count = 0;
  const [nx, ny, nz] = l.dims;
  const sx = l.step[0];
  let ras = 0;
  for (let z = 0; z < nz; z++) {
    const zi = l.start[2] + z * l.step[2];
    for (let y = 0; y < ny; y++) {
      let ni = zi + l.start[1] + y * l.step[1] + l.start[0];
      for (let x = 0; x < nx; x++, ni += sx, ras++) {
        const v = hu[ni]!;
        if (v >= lo && v <= hi) {
          out[ras] = 1;
          count++;
        }
      }
    }
  }
  return { labels: out, count };
}

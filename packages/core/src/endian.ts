/**
 * Whether this host stores multi-byte numbers little-endian, i.e. whether a typed array
 * laid over the same bytes as another sees them in little-endian order. Kernels that read
 * Int16 voxels or mask bytes as 32-bit words, and readers of little-endian files that view
 * their bytes in place, depend on it. Imports nothing: workers load it.
 */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Typed arrays allocated with room to grow in place. Fresh memory costs a page fault per 4 KB
 * on its first write (~50 ms for 19 MB on these machines), so the arrays a clean-up makes
 * (compactShells, compactEdgeTable, the repair's safe positions) are views of buffers with
 * room for the rim split's pieces (condition-rims.ts), which then grows them without a copy.
 */

/**
 * `a` as an array of n entries (n ≥ its length): a longer view of its own buffer where the
 * buffer has room (the entries past a's length are then whatever the buffer held: the caller
 * writes them), else a copy.
 */
export function grownView<T extends Uint32Array | Float32Array>(a: T, n: number): T {
  return grown(a, n, true);
}

/** `a` as an array of n entries (n ≥ its length): grownView when `inPlace`, else always a copy. */
export function grown<T extends Uint32Array | Float32Array>(a: T, n: number, inPlace: boolean): T {
  const Ctor = a.constructor as { new (b: ArrayBufferLike, o: number, n: number): T; new (n: number): T };
  if (inPlace && a.byteOffset + n * a.BYTES_PER_ELEMENT <= a.buffer.byteLength) return new Ctor(a.buffer, a.byteOffset, n);
  const b = new Ctor(n);
  b.set(a);
  return b;
}

/**
 * A new zeroed array of n entries, a view of a buffer with room for `room` more: grownView then
 * grows it in place (pages past n are not touched until then, so the room costs nothing unused).
 */
export function withRoom<T extends Uint32Array | Float32Array>(Ctor: new (n: number) => T, n: number, room: number): T {
  return new Ctor(n + room).subarray(0, n) as T;
}

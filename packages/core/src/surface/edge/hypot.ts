/**
 * √(x² + y² + z²) as V8's Math.hypot computes it (src/builtins/math.tq): the squares of
 * x/max, y/max, z/max summed with Kahan compensation, √ times max. Math.hypot is a builtin
 * call that V8 does not inline (it collects its arguments into a fresh array), about 30 ns
 * a call; edge placement takes two or three a vertex. Being plain IEEE arithmetic, this gives
 * Node's bytes in every engine.
 */
export function hypot3(x: number, y: number, z: number): number {
  const ax = Math.abs(x), ay = Math.abs(y), az = Math.abs(z);
  if (ax === Infinity || ay === Infinity || az === Infinity) return Infinity;
  if (x !== x || y !== y || z !== z) return NaN;
  let max = ax > ay ? ax : ay;
  if (az > max) max = az;
  if (max === 0) return 0;
  let n = ax / max;
  let sum = n * n;
  // compensation of the first sum is exactly 0 (0 + s is exact)
  n = ay / max;
  let s = n * n;
  let p = sum + s;
  const comp = p - sum - s;
  sum = p;
  n = az / max;
  s = n * n - comp;
  p = sum + s;
  return Math.sqrt(p) * max;
}

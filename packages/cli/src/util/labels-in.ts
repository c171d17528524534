/** The distinct non-zero labels of a label map's data, listed for a message ("1,5,6", at most `max`). */
export function labelsIn(data: ArrayLike<number>, max = 12): string {
  const seen = new Set<number>();
  for (let p = 0; p < data.length; p++) if (data[p]) seen.add(data[p]!);
  const all = [...seen].sort((a, b) => a - b);
  return all.length === 0 ? 'none' : all.length > max ? `${all.slice(0, max).join(',')},… (${all.length} labels)` : all.join(',');
}

/** Whether any voxel holds `label`. */
export function hasLabel(data: ArrayLike<number>, label: number): boolean {
  for (let p = 0; p < data.length; p++) if (data[p] === label) return true;
  return false;
}

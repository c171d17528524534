/**
 * Undo/redo of label map edits. Each edit is a patch: the changed voxels with their values
 * before and after (sparse), or, when most of the map changed (a new threshold), whole
 * copies. Undo writes `before` back, redo writes `after`; a new edit drops the redo side.
 * The oldest patches go when the stack holds more than `maxBytes`.
 */
export type Patch =
  | { kind: 'sparse'; label: string; indices: Uint32Array; before: Uint8Array; after: Uint8Array; delta: number }
  | { kind: 'full'; label: string; before: Uint8Array; after: Uint8Array; delta: number };

function nonZero(a: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) n++;
  return n;
}

/** A sparse patch from changed indices and their old values; the new values are read from `labels`. */
export function sparsePatch(label: string, labels: Uint8Array, indices: Uint32Array, before: Uint8Array): Patch {
  const after = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) after[k] = labels[indices[k]!]!;
  return { kind: 'sparse', label, indices, before, after, delta: nonZero(after) - nonZero(before) };
}

/** The patch of a brush stroke (index → value before). */
export function strokePatch(label: string, labels: Uint8Array, before: Map<number, number>): Patch {
  const indices = Uint32Array.from(before.keys()).sort();
  const old = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) old[k] = before.get(indices[k]!)!;
  return sparsePatch(label, labels, indices, old);
}

/** Clears `indices` in `labels` (island removal, keep one component) and returns the patch. */
export function clearPatch(label: string, labels: Uint8Array, indices: Uint32Array): Patch {
  const before = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    before[k] = labels[indices[k]!]!;
    labels[indices[k]!] = 0;
  }
  return sparsePatch(label, labels, indices, before);
}

/** The patch from one whole map to another: sparse when under 1/8 of the voxels differ, else copies. */
export function diffPatch(label: string, before: Uint8Array, after: Uint8Array): Patch {
  let changed = 0;
  for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) changed++;
  if (changed * 8 >= before.length) return { kind: 'full', label, before: before.slice(), after: after.slice(), delta: nonZero(after) - nonZero(before) };
  const indices = new Uint32Array(changed);
  const b = new Uint8Array(changed);
  const a = new Uint8Array(changed);
  let k = 0;
  for (let i = 0; i < before.length; i++) {
    if (before[i] !== after[i]) {
      indices[k] = i;
      b[k] = before[i]!;
      a[k++] = after[i]!;
    }
  }
  return { kind: 'sparse', label, indices, before: b, after: a, delta: nonZero(a) - nonZero(b) };
}

function patchBytes(p: Patch): number {
  return p.kind === 'sparse' ? p.indices.byteLength + p.before.byteLength + p.after.byteLength : p.before.byteLength + p.after.byteLength;
}

function write(labels: Uint8Array, p: Patch, side: 'before' | 'after'): void {
  const v = p[side];
  if (p.kind === 'full') labels.set(v);
  else for (let k = 0; k < p.indices.length; k++) labels[p.indices[k]!] = v[k]!;
}

export class EditHistory {
  private done: Patch[] = [];
  private undone: Patch[] = [];

  constructor(private readonly maxBytes = 512 * 1024 * 1024) {}

  /** Records an edit already applied to the labels. */
  push(p: Patch): void {
    this.done.push(p);
    this.undone = [];
    let bytes = this.done.reduce((s, q) => s + patchBytes(q), 0);
    while (bytes > this.maxBytes && this.done.length > 1) bytes -= patchBytes(this.done.shift()!);
  }

  get canUndo(): boolean {
    return this.done.length > 0;
  }

  get canRedo(): boolean {
    return this.undone.length > 0;
  }

  /** Names of the next undo and redo steps, for the buttons' labels. */
  get next(): { undo: string | null; redo: string | null } {
    return { undo: this.done.at(-1)?.label ?? null, redo: this.undone.at(-1)?.label ?? null };
  }

  /** Undoes the last edit on `labels`; returns the change in labelled voxels, or null when there is none. */
  undo(labels: Uint8Array): number | null {
    const p = this.done.pop();
    if (!p) return null;
    write(labels, p, 'before');
    this.undone.push(p);
    return -p.delta;
  }

  /** Re-applies the last undone edit; returns the change in labelled voxels, or null when there is none. */
  redo(labels: Uint8Array): number | null {
    const p = this.undone.pop();
    if (!p) return null;
    write(labels, p, 'after');
    this.done.push(p);
    return p.delta;
  }

  clear(): void {
    this.done = [];
    this.undone = [];
  }
}

export { nonZero as countLabelled };

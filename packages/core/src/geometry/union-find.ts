/**
 * Disjoint sets over 0..n−1 in a flat parent array, for the mesh and mask passes (shells,
 * pinched vertices, connected runs). A union links the larger root under the smaller, so
 * every set's root is its smallest member whatever the order of unions: labels numbered by
 * root come out the same run after run. Find halves paths as it goes.
 */
export type ParentArray = Uint32Array | Int32Array;

/** Every element its own set. */
export function makeSets<T extends ParentArray>(parent: T): T {
  for (let i = 0; i < parent.length; i++) parent[i] = i;
  return parent;
}

export function findRoot(parent: ParentArray, x: number): number {
  while (parent[x] !== x) {
    const g = parent[parent[x]!]!;
    parent[x] = g;
    x = g;
  }
  return x;
}

/** Joins the sets of a and b; returns the root of the joined set. */
export function unionSets(parent: ParentArray, a: number, b: number): number {
  const ra = findRoot(parent, a);
  const rb = findRoot(parent, b);
  if (ra < rb) {
    parent[rb] = ra;
    return ra;
  }
  if (rb < ra) parent[ra] = rb;
  return rb;
}

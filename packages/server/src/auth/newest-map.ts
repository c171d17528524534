/**
 * A Map used as a bounded record of recent keys (sign-in failures per account, audited
 * addresses): an entry set again becomes the newest, and past `max` the entries set longest
 * ago go first. A Map keeps insertion order, so the oldest is its first key.
 */
export function setNewest<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}

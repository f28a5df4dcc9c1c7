/**
 * Sets `key` as the newest entry of `map` and lets the oldest go while there are more than
 * `capacity`: a Map iterates in insertion order, so setting a key again (or re-setting it on every
 * read) makes the map least-recently-used first out. Capacity 0 keeps nothing.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, capacity: number): void {
  map.delete(key);
  if (capacity <= 0) return;
  map.set(key, value);
  if (map.size > capacity) map.delete(map.keys().next().value!);
}

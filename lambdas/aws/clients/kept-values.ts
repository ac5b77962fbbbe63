// Values read from AWS that a warm Lambda keeps for a while (secrets, parameters), as Powertools Parameters kept them.

/**
 * A store of values by key: `read(key, maxAgeSeconds, fetch)` answers the value fetched for `key` less than
 * `maxAgeSeconds` ago, or fetches it anew. Calls made while a fetch runs share it; a fetch that fails is not kept, so
 * the next call tries again. `now` is in milliseconds since the epoch.
 */
export function keptValues<T>(now: () => number = Date.now) {
  const kept = new Map<string, { value: Promise<T>; readAt: number }>();
  return (key: string, maxAgeSeconds: number, fetch: () => Promise<T>): Promise<T> => {
    const entry = kept.get(key);
    if (entry && now() - entry.readAt < maxAgeSeconds * 1000) return entry.value;
    const value = fetch();
    kept.set(key, { value, readAt: now() });
    value.catch(() => {
      if (kept.get(key)?.value === value) kept.delete(key);
    });
    return value;
  };
}

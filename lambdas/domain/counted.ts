// Counts in words, for the messages people read: `1 credit`, `2 credits`, `3 index entries`.

/** `count` and `noun` in its number: the singular for exactly 1, else `plural` (default: the singular and `s`). */
export const counted = (count: number, noun: string, plural = `${noun}s`): string => `${count} ${count === 1 ? noun : plural}`;

// Job ids: time-ordered and unique, or derived from an idempotency key so a retried create finds the same job.
// An id is also the Step Functions execution name (≤ 80 chars of [A-Za-z0-9-_]).
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** A new job id: `job_` + 48-bit millisecond time + 80 random bits, so ids sort by creation. */
export function newJobId(now: Date = new Date()): string {
  const time = Buffer.alloc(6);
  time.writeUIntBE(now.getTime(), 0, 6);
  return `job_${base32(time)}${base32(randomBytes(10))}`;
}

/** The job id for an idempotency key, scoped to the caller, so two callers' keys never collide. */
export function jobIdForIdempotencyKey(caller: string, key: string): string {
  return `job_k${base32(createHash('sha256').update(`${caller}\n${key}`).digest()).slice(0, 32)}`;
}

/**
 * The shape of every job id klingflow makes: `job_` + 26 Crockford base32 characters ({@link newJobId}), `job_k` + 32
 * ({@link jobIdForIdempotencyKey}), or `job_t` / `job_u` + 40 lower-case hex digits (an upload's job: `jobIdForUpload`
 * in uploads.ts, for an upload through the API / one dropped into the bucket). Narrower than what the API takes as a
 * path parameter (`JOB_ID_PATTERN` in job.ts): a string without this shape names no job klingflow could have made.
 */
export const MINTED_JOB_ID = /^job_(?:[0-9a-hjkmnp-tv-z]{26}|k[0-9a-hjkmnp-tv-z]{32}|[tu][0-9a-f]{40})$/;

/** What {@link MINTED_JOB_ID} allows, in words (for a refusal). */
export const MINTED_JOB_ID_SHAPE =
  'job_ and 26 lower-case letters and digits (job_k and 32 for an idempotency key), or job_t / job_u and 40 hex digits for an upload';

/** Stable hash of a JSON value (object keys sorted), to compare two create bodies. */
export function hashRequest(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex');
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

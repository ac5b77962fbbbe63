// fal webhook signatures (fal docs, 'Webhooks', and the verification recipe independent public implementations agree
// on): Ed25519 over
// `{request_id}\n{user_id}\n{timestamp}\n{sha256_hex(raw body)}`, carried in the headers X-Fal-Webhook-Request-Id,
// -User-Id, -Timestamp (Unix seconds) and -Signature (hex), checked against the Ed25519 public keys of fal's JWKS,
// with a ±300 s window on the timestamp. The JWKS is cached in memory for at most 24 h, and fetched again early
// (at most once a minute) when a signature matches none of the cached keys, so a key rotation is picked up.
import { createHash, createHmac, createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import * as z from '../../domain/zod.ts';
import { CallbackRejected } from '../../domain/errors.ts';
import type { AdapterContext } from '../port.ts';
import { requestJson } from '../http.ts';
import { DEFAULT_FAL_JWKS_URL, FAL_WEBHOOK_HEADERS, FAL_WEBHOOK_TOLERANCE_SECONDS } from './facts.ts';

// fal's JWKS URL (a setting, `JWKS_URL`, since the canonical host is UNCONFIRMED), the timestamp tolerance and the
// header names are fal facts: facts.ts.
export { DEFAULT_FAL_JWKS_URL, FAL_WEBHOOK_HEADERS, FAL_WEBHOOK_TOLERANCE_SECONDS } from './facts.ts';
export const FAL_JWKS_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const FAL_JWKS_MIN_REFRESH_MS = 60 * 1000;

const Jwks = z.object({
  keys: z.array(z.looseObject({ kty: z.string(), crv: z.optional(z.string()), x: z.optional(z.string()) })),
});

/** The message fal signs. */
export function falSignedMessage(requestId: string, userId: string, timestamp: string, rawBody: string): string {
  return `${requestId}\n${userId}\n${timestamp}\n${createHash('sha256').update(rawBody, 'utf8').digest('hex')}`;
}

interface CachedKeys {
  keys: KeyObject[];
  fetchedAtMs: number;
}

/** fal's public keys by JWKS URL, for as long as the adapter lives (a Lambda container). */
export class FalJwksCache {
  private readonly byUrl = new Map<string, CachedKeys>();

  async keys(ctx: AdapterContext, url: string, options: { refresh?: boolean } = {}): Promise<CachedKeys> {
    const nowMs = ctx.now().getTime();
    const cached = this.byUrl.get(url);
    const fresh = cached && nowMs - cached.fetchedAtMs < FAL_JWKS_MAX_AGE_MS;
    const mayRefresh = !cached || nowMs - cached.fetchedAtMs >= FAL_JWKS_MIN_REFRESH_MS;
    if (cached && fresh && !(options.refresh && mayRefresh)) return cached;
    const loaded = { keys: await fetchEd25519Keys(ctx, url), fetchedAtMs: nowMs };
    this.byUrl.set(url, loaded);
    return loaded;
  }
}

async function fetchEd25519Keys(ctx: AdapterContext, url: string): Promise<KeyObject[]> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CallbackRejected('the fal JWKS_URL setting is not a URL');
  }
  // The JWKS is public: no credentials go with it. A failure here is a ProviderError (retryable), not a rejection.
  const jwks = await requestJson(
    { ...ctx, baseUrl: parsed.origin },
    { method: 'GET', path: parsed.pathname, query: Object.fromEntries(parsed.searchParams) },
    Jwks,
  );
  return jwks.keys
    .filter((key) => key.kty === 'OKP' && key.crv === 'Ed25519' && typeof key.x === 'string')
    .flatMap((key) => {
      try {
        return [createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.x }, format: 'jwk' })];
      } catch {
        return [];
      }
    });
}

export interface VerifiedFalWebhook {
  requestId: string;
  userId: string;
}

/** Checks the headers, the timestamp and the Ed25519 signature. Throws `CallbackRejected` with the reason. */
export async function verifyFalWebhook(
  headers: Record<string, string | undefined>,
  rawBody: string,
  ctx: AdapterContext,
  jwks: FalJwksCache,
): Promise<VerifiedFalWebhook> {
  const value = (name: string) => headers[name]?.trim() || undefined;
  const requestId = value(FAL_WEBHOOK_HEADERS.requestId);
  const userId = value(FAL_WEBHOOK_HEADERS.userId);
  const timestamp = value(FAL_WEBHOOK_HEADERS.timestamp);
  const signatureHex = value(FAL_WEBHOOK_HEADERS.signature);
  if (!requestId || !userId || !timestamp || !signatureHex) {
    const missing = Object.values(FAL_WEBHOOK_HEADERS).filter((name) => !value(name));
    throw new CallbackRejected(`missing fal webhook header(s): ${missing.join(', ')}`);
  }
  if (!/^\d{1,15}$/.test(timestamp)) throw new CallbackRejected('X-Fal-Webhook-Timestamp is not a Unix timestamp');
  const skew = Math.floor(ctx.now().getTime() / 1000) - Number(timestamp);
  if (Math.abs(skew) > FAL_WEBHOOK_TOLERANCE_SECONDS) {
    throw new CallbackRejected(
      `X-Fal-Webhook-Timestamp is ${Math.abs(skew)} s ${skew > 0 ? 'old' : 'ahead'} (tolerance ${FAL_WEBHOOK_TOLERANCE_SECONDS} s)`,
    );
  }
  if (!/^[0-9a-f]{128}$/i.test(signatureHex)) throw new CallbackRejected('X-Fal-Webhook-Signature is not 64 bytes of hex');

  const message = Buffer.from(falSignedMessage(requestId, userId, timestamp, rawBody), 'utf8');
  const signature = Buffer.from(signatureHex, 'hex');
  const url = ctx.settings.JWKS_URL || DEFAULT_FAL_JWKS_URL;
  const matches = (keys: KeyObject[]) => keys.some((key) => verify(null, message, key, signature));
  if (matches((await jwks.keys(ctx, url)).keys)) return { requestId, userId };
  // Perhaps fal rotated its keys since the cache was filled.
  if (matches((await jwks.keys(ctx, url, { refresh: true })).keys)) return { requestId, userId };
  throw new CallbackRejected('the fal webhook signature matches none of the JWKS keys');
}

/**
 * fal signs every account's webhooks with the same keys, so a valid signature only proves the callback came from
 * fal, not that it is about this job: anyone can point their own fal request at our callback URL. The callback URL
 * handed to fal therefore carries a per-job tag, an HMAC of the job id keyed with our fal key, which only we (and
 * fal, which received it) know. A rotated fal key invalidates the tags of jobs still running; those jobs finish by
 * polling.
 */
export const FAL_JOB_TAG_PARAM = 'fal_job_tag';

export function falJobTag(falKey: string, jobId: string): string {
  return createHmac('sha256', falKey).update(`klingflow fal webhook\n${jobId}`).digest('base64url');
}

export function checkFalJobTag(falKey: string, jobId: string, given: string | undefined): void {
  if (!given) throw new CallbackRejected(`the callback URL has no ${FAL_JOB_TAG_PARAM}`);
  const expected = Buffer.from(falJobTag(falKey, jobId));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new CallbackRejected(`the callback's ${FAL_JOB_TAG_PARAM} is not the one given for job ${jobId}`);
  }
}

// Per-job callback tokens, for providers that do not sign their callbacks: the callback URL carries
// HMAC-SHA256(deployment secret, provider + job id), so only the provider we gave the URL to can call it,
// and a token for one job is worthless for another.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const CALLBACK_TOKEN_PARAM = 'token';

export function callbackToken(secret: string, provider: string, jobId: string): string {
  return createHmac('sha256', secret).update(`${provider}\n${jobId}`).digest('base64url');
}

export function verifyCallbackToken(secret: string, provider: string, jobId: string, given: string | undefined): boolean {
  if (!given) return false;
  const expected = Buffer.from(callbackToken(secret, provider, jobId));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

// Checks a `Bearer` Authorization header against the configured credentials: either the API key itself,
// or an HS256 JWT signed with the secret key whose `iss` is the access key. Dialects map the outcome to
// their own error codes.
import { timingSafeEqual } from 'node:crypto';
import { jwtVerify } from 'jose';
import type { Route, RouteContext } from './http.ts';

export interface SimulatorCredentials {
  apiKey?: string;
  accessKey?: string;
  secretKey?: string;
}

export type AuthFailureReason = 'missing' | 'invalid' | 'not-yet-valid' | 'expired';

export type AuthOutcome = { ok: true; method: 'none' | 'api-key' | 'jwt' } | { ok: false; reason: AuthFailureReason; detail: string };

const CLOCK_TOLERANCE_SECONDS = 5;

export type AuthFailure = Extract<AuthOutcome, { ok: false }>;

/**
 * A route handler that runs only for requests carrying the dialect's credentials as `Bearer` (API key or, for
 * Kling, an HS256 JWT); every other request gets the dialect's own rejection.
 */
export function requireBearer(
  credentials: SimulatorCredentials | undefined,
  reject: (route: RouteContext, failure: AuthFailure) => void,
  handle: (route: RouteContext) => void | Promise<void>,
): Route['handle'] {
  return async (route) => {
    const outcome = await authenticateBearer(route.req.headers.authorization, credentials);
    if (!outcome.ok) return reject(route, outcome);
    return handle(route);
  };
}

export function authenticationRequired(credentials: SimulatorCredentials | undefined): boolean {
  return Boolean(credentials?.apiKey || (credentials?.accessKey && credentials?.secretKey));
}

export async function authenticateBearer(header: string | undefined, credentials: SimulatorCredentials | undefined): Promise<AuthOutcome> {
  if (!credentials || !authenticationRequired(credentials)) return { ok: true, method: 'none' };
  if (!header?.trim()) return { ok: false, reason: 'missing', detail: 'Authorization header is empty' };

  const match = /^Bearer ([^\s]+)$/.exec(header.trim());
  if (!match?.[1]) return { ok: false, reason: 'invalid', detail: 'Authorization must be "Bearer <token>"' };
  const token = match[1];

  if (credentials.apiKey && sameText(token, credentials.apiKey)) return { ok: true, method: 'api-key' };
  if (credentials.accessKey && credentials.secretKey && token.split('.').length === 3) {
    return verifyJwt(token, credentials.accessKey, credentials.secretKey);
  }
  return { ok: false, reason: 'invalid', detail: 'token is neither the API key nor a JWT' };
}

async function verifyJwt(token: string, accessKey: string, secretKey: string): Promise<AuthOutcome> {
  try {
    await jwtVerify(token, new TextEncoder().encode(secretKey), {
      algorithms: ['HS256'],
      issuer: accessKey,
      requiredClaims: ['exp'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    return { ok: true, method: 'jwt' };
  } catch (error) {
    const code = (error as { code?: string }).code;
    const claim = (error as { claim?: string }).claim;
    const detail = error instanceof Error ? error.message : String(error);
    if (code === 'ERR_JWT_EXPIRED') return { ok: false, reason: 'expired', detail };
    if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'nbf') {
      return { ok: false, reason: 'not-yet-valid', detail };
    }
    return { ok: false, reason: 'invalid', detail };
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

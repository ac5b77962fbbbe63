// CORS of the HTTP API (docs/api.md, "CORS"): which browser origins may call it and with what. API Gateway answers
// preflights and adds the headers on AWS (lib/api.ts), the local front door does the same from this policy
// (local/front-door.ts), so a browser sees one behaviour in both places. Credentials travel in the Authorization
// header (a bearer token or a SigV4 signature), never in cookies, so credentialed CORS is not allowed.

/** What a cross-origin caller may send and read. */
export const CORS_POLICY = {
  allowMethods: ['GET', 'POST', 'DELETE'],
  /** The headers klingflow reads, and SigV4's. */
  allowHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'],
  /** `location` of a created job (202) and of a redirect. */
  exposeHeaders: ['location'],
  /** How long a browser may reuse a preflight answer, in seconds. */
  maxAgeSeconds: 3600,
} as const;

/** Whether `origin` (as a browser sends it: scheme, host and port) may call the API; `*` in the list allows any. */
export const originAllowed = (origin: string, allowed: readonly string[]): boolean => allowed.includes('*') || allowed.includes(origin);

/**
 * The CORS headers to answer a request from `origin` with: none when there is no origin or it is not allowed; for
 * a preflight (OPTIONS with Access-Control-Request-Method) the allowed methods, headers and max age too.
 */
export function corsHeaders(origin: string | undefined, allowed: readonly string[], preflight: boolean): Record<string, string> {
  if (!origin || !originAllowed(origin, allowed)) return {};
  const base = { 'access-control-allow-origin': allowed.includes('*') ? '*' : origin, vary: 'origin' };
  if (!preflight) return { ...base, 'access-control-expose-headers': CORS_POLICY.exposeHeaders.join(',') };
  return {
    ...base,
    'access-control-allow-methods': CORS_POLICY.allowMethods.join(','),
    'access-control-allow-headers': CORS_POLICY.allowHeaders.join(','),
    'access-control-max-age': String(CORS_POLICY.maxAgeSeconds),
  };
}

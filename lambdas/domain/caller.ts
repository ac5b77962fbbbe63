// Who is calling, and which jobs they may see (docs/api.md, "Each caller's own jobs"). A job records its owner: the
// IAM principal's ARN, the JWT `sub`, or locally the name of the bearer token. A caller sees, reads, cancels and
// downloads only its own jobs; an admin sees every job. Free of AWS: the authorizer context is read as plain data.

/** The JWT scope (in `scope`/`scp` or API Gateway's `scopes`) that makes a caller an admin. */
export const ADMIN_SCOPE = 'klingflow:admin';

/** Owner of jobs started by an S3 upload whose uploader is not known (no `owner` metadata). */
export const UPLOADS_OWNER = 'uploads';

/** Owner names: 1–512 visible characters (an IAM ARN, a JWT `sub`, a local token name). */
export const OWNER_PATTERN = /^[\x21-\x7e]{1,512}$/;

/** A caller: the owner its jobs get, and whether it sees every job. */
export interface Caller {
  owner: string;
  admin: boolean;
}

/** What API Gateway (HTTP API, payload v2) puts in `requestContext.authorizer`, as far as klingflow reads it. */
export interface AuthorizerContext {
  iam?: { userArn?: string; callerId?: string; userId?: string };
  jwt?: { claims?: Record<string, unknown>; scopes?: string[] | null };
}

/**
 * Whether an ARN matches one admin pattern: `*` stands for any run of characters (`arn:aws:sts::123456789012:
 * assumed-role/KlingflowAdmin/*`), everything else is literal and case-sensitive, as IAM compares ARNs.
 */
export function principalMatches(arn: string, pattern: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return regex.test(arn);
}

const escapeRegExp = (text: string): string => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** Every scope a JWT grants: API Gateway's `scopes`, the `scope` claim (space-separated) and the `scp` claim. */
function scopesOf(jwt: NonNullable<AuthorizerContext['jwt']>): string[] {
  const claims = jwt.claims ?? {};
  const fromClaim = (value: unknown): string[] =>
    typeof value === 'string' ? value.split(/\s+/) : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  return [...(jwt.scopes ?? []), ...fromClaim(claims.scope), ...fromClaim(claims.scp)];
}

/**
 * The caller of a request, from its authorizer context:
 * - IAM: owner = the principal's ARN (`userArn`, else `callerId`); admin when the ARN matches one of
 *   `adminPrincipals` (ARN patterns with `*`, from the `adminPrincipals` context key).
 * - JWT (and the local front door, which stands in for it): owner = `sub`; admin with the scope {@link ADMIN_SCOPE}
 *   or a claim `klingflow:admin` that is `true` or `"true"`.
 * Without either, the caller is `anonymous` and no admin (API Gateway lets no such request through).
 */
export function callerFromAuthorizer(authorizer: AuthorizerContext | undefined, adminPrincipals: readonly string[]): Caller {
  const iam = authorizer?.iam;
  const principal = iam?.userArn || iam?.callerId;
  if (typeof principal === 'string' && principal) {
    return { owner: principal, admin: adminPrincipals.some((pattern) => principalMatches(principal, pattern)) };
  }
  const jwt = authorizer?.jwt;
  const subject = jwt?.claims?.sub;
  if (jwt && typeof subject === 'string' && subject) {
    const claim = jwt.claims?.[ADMIN_SCOPE];
    return { owner: subject, admin: scopesOf(jwt).includes(ADMIN_SCOPE) || claim === true || claim === 'true' };
  }
  return { owner: 'anonymous', admin: false };
}

/**
 * Whether `caller` may see `job`: its own jobs, or any job for an admin. A job without an owner (created before
 * owners were recorded) is seen by admins only.
 */
export function canSee(caller: Caller, job: { owner?: string }): boolean {
  return caller.admin || (job.owner !== undefined && job.owner === caller.owner);
}

/**
 * The owner an upload's job gets: its `owner` metadata, else the manifest's `owner` (an upload ticket's manifest names
 * the caller who asked for the ticket: `POST /v1/uploads`), when that is a valid owner name; else {@link UPLOADS_OWNER}.
 */
export function uploadOwner(metadata: Record<string, string>, manifest?: string): string {
  const valid = (name: unknown) => (typeof name === 'string' && OWNER_PATTERN.test(name.trim()) ? name.trim() : undefined);
  let fromManifest: unknown;
  try {
    fromManifest = manifest === undefined ? undefined : (JSON.parse(manifest) as { owner?: unknown } | null)?.owner;
  } catch {
    // not JSON: the job reports the manifest as a problem of its own
  }
  return valid(metadata.owner) ?? valid(fromManifest) ?? UPLOADS_OWNER;
}

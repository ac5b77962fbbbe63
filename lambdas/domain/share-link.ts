// Share links: what a notice or webhook hands a person so they can open a finished job's video (or thumbnail) in a
// browser with no credentials (docs/api.md, "Share links"). A link names one job and one object, expires, and is
// signed with the deployment's share secret (HMAC-SHA256), so it can be neither forged nor stretched to another
// job, object or time. The route checks it and redirects to a freshly presigned S3 URL.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Job } from './job.ts';

/** What a share link can open. */
export const SHARED_OBJECTS = ['video', 'thumbnail'] as const;
export type SharedObject = (typeof SHARED_OBJECTS)[number];

/** Seven days: how long a link in a notice works unless the deployment says otherwise (seconds). */
export const DEFAULT_SHARE_LINK_SECONDS = 7 * 24 * 3600;

/** What a link grants: one object of one job until `expiresAt` (Unix seconds). */
export interface ShareGrant {
  jobId: string;
  object: SharedObject;
  expiresAt: number;
}

/** The query parameter names of a share link. */
export const SHARE_QUERY = { expires: 'expires', signature: 'sig' } as const;

const signatureOf = (secret: string, grant: ShareGrant): Buffer =>
  createHmac('sha256', secret).update(`klingflow-share-v1\n${grant.jobId}\n${grant.object}\n${grant.expiresAt}`).digest();

/**
 * The share link of `grant` under the API's public base URL:
 * `<publicUrl>/v1/share/<jobId>/<object>?expires=<unix seconds>&sig=<base64url HMAC-SHA256>`.
 */
export function shareLink(secret: string, publicUrl: string, grant: ShareGrant): string {
  const url = new URL(`${publicUrl.replace(/\/+$/, '')}/v1/share/${encodeURIComponent(grant.jobId)}/${grant.object}`);
  url.searchParams.set(SHARE_QUERY.expires, String(grant.expiresAt));
  url.searchParams.set(SHARE_QUERY.signature, signatureOf(secret, grant).toString('base64url'));
  return url.toString();
}

/**
 * When the links of a finished job expire (Unix seconds): `lifetimeSeconds` after it finished, so every notice and
 * every retry of its webhook carries the same links.
 */
export function shareExpiry(finishedAt: string, lifetimeSeconds: number): number {
  return Math.floor(Date.parse(finishedAt) / 1000) + lifetimeSeconds;
}

export type ShareCheck = { ok: true; grant: ShareGrant } | { ok: false; reason: string };

/**
 * Checks a presented link: the object must be one that can be shared, the signature must match (compared in
 * constant time), and the link must not have expired at `now`. The reason says which, for a 403 a person can read;
 * it never reveals the expected signature.
 */
export function checkShareLink(
  secret: string,
  presented: { jobId: string; object: string; expires?: string; signature?: string },
  now: Date,
): ShareCheck {
  if (!(SHARED_OBJECTS as readonly string[]).includes(presented.object)) {
    return { ok: false, reason: `a share link opens ${SHARED_OBJECTS.join(' or ')}, not '${presented.object.slice(0, 40)}'` };
  }
  if (!presented.expires || !/^\d{1,12}$/.test(presented.expires) || !presented.signature) {
    return { ok: false, reason: 'the link is incomplete: it needs its expires and sig parameters, as they were sent' };
  }
  const grant: ShareGrant = { jobId: presented.jobId, object: presented.object as SharedObject, expiresAt: Number(presented.expires) };
  const expected = signatureOf(secret, grant);
  const given = Buffer.from(presented.signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'the link has been altered or was not issued by this deployment' };
  }
  if (grant.expiresAt * 1000 <= now.getTime()) {
    return { ok: false, reason: `the link expired at ${new Date(grant.expiresAt * 1000).toISOString()}; ask for a new one` };
  }
  return { ok: true, grant };
}

/**
 * The share links of a finished job's outputs: `{ video, thumbnail }` for a SUCCEEDED job (thumbnail only where the
 * provider gave one), `{}` for any other. They expire `lifetimeSeconds` after the job finished.
 */
export function shareLinksOf(
  job: Pick<Job, 'jobId' | 'status' | 'finishedAt' | 'outputs'>,
  secret: string,
  publicUrl: string,
  lifetimeSeconds: number,
): { video?: string; thumbnail?: string } {
  if (job.status !== 'SUCCEEDED' || !job.outputs || !job.finishedAt) return {};
  const expiresAt = shareExpiry(job.finishedAt, lifetimeSeconds);
  const link = (object: SharedObject) => shareLink(secret, publicUrl, { jobId: job.jobId, object, expiresAt });
  return { video: link('video'), ...(job.outputs.thumbnail ? { thumbnail: link('thumbnail') } : {}) };
}

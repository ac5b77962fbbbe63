// Share links: signed per job and object, expiring, refused clearly when altered or expired.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkShareLink, SHARE_QUERY, shareExpiry, shareLink, shareLinksOf } from '../../../lambdas/domain/share-link.ts';

const SECRET = 'share-secret-for-tests-0123456789abcdef';
const API = 'https://api.example.com';
const NOW = new Date('2026-11-30T12:00:00Z');
const IN_A_DAY = Math.floor(NOW.getTime() / 1000) + 86_400;

/** The parts of a link as the route receives them. */
function presented(link: string) {
  const url = new URL(link);
  const [, , , jobId, object] = url.pathname.split('/');
  return {
    jobId: decodeURIComponent(jobId ?? ''),
    object: object ?? '',
    expires: url.searchParams.get(SHARE_QUERY.expires) ?? undefined,
    signature: url.searchParams.get(SHARE_QUERY.signature) ?? undefined,
  };
}

describe('share links', () => {
  it('open what they were made for until they expire', () => {
    const link = shareLink(SECRET, `${API}/`, { jobId: 'job_1', object: 'video', expiresAt: IN_A_DAY });
    expect(link).toMatch(new RegExp(`^${API}/v1/share/job_1/video\\?expires=${IN_A_DAY}&sig=[A-Za-z0-9_-]{43}$`));
    expect(checkShareLink(SECRET, presented(link), NOW)).toEqual({
      ok: true,
      grant: { jobId: 'job_1', object: 'video', expiresAt: IN_A_DAY },
    });
  });

  it('are refused once expired, saying when', () => {
    const link = shareLink(SECRET, API, { jobId: 'job_1', object: 'video', expiresAt: IN_A_DAY });
    const later = new Date((IN_A_DAY + 1) * 1000);
    expect(checkShareLink(SECRET, presented(link), later)).toEqual({
      ok: false,
      reason: `the link expired at ${new Date(IN_A_DAY * 1000).toISOString()}; ask for a new one`,
    });
  });

  it('are refused when any part was changed: job, object, expiry, signature, or the secret', () => {
    const good = presented(shareLink(SECRET, API, { jobId: 'job_1', object: 'video', expiresAt: IN_A_DAY }));
    const altered = [
      { ...good, jobId: 'job_2' },
      { ...good, object: 'thumbnail' },
      { ...good, expires: String(IN_A_DAY + 3600) },
      { ...good, signature: `${good.signature?.slice(0, -1)}A` },
    ];
    for (const link of altered) expect(checkShareLink(SECRET, link, NOW)).toMatchObject({ ok: false, reason: /altered/ });
    expect(checkShareLink('another-deployment', good, NOW)).toMatchObject({ ok: false, reason: /altered/ });
  });

  it('are refused, without a 5xx-worthy throw, for anything malformed (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.option(fc.string()), fc.option(fc.string()), (jobId, object, expires, signature) => {
        const check = checkShareLink(SECRET, { jobId, object, expires: expires ?? undefined, signature: signature ?? undefined }, NOW);
        expect(check.ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
    expect(checkShareLink(SECRET, { jobId: 'job_1', object: 'video' }, NOW)).toMatchObject({ ok: false, reason: /incomplete/ });
    expect(checkShareLink(SECRET, { jobId: 'job_1', object: 'secrets', expires: '1', signature: 'x' }, NOW)).toMatchObject({
      ok: false,
      reason: /opens video or thumbnail/,
    });
  });

  it('of a finished job expire a fixed time after it finished, so every retry carries the same links', () => {
    const job = {
      jobId: 'job_1',
      status: 'SUCCEEDED' as const,
      finishedAt: '2026-11-30T12:00:00.000Z',
      outputs: {
        video: { bucket: 'b', key: 'jobs/job_1/video.mp4', bytes: 1, sha256: 'x', contentType: 'video/mp4' },
        thumbnail: { bucket: 'b', key: 'jobs/job_1/thumbnail.jpg', bytes: 1, sha256: 'y', contentType: 'image/jpeg' },
      },
    };
    const links = shareLinksOf(job, SECRET, API, 3600);
    expect(links).toEqual(shareLinksOf(job, SECRET, API, 3600));
    expect(shareExpiry(job.finishedAt, 3600)).toBe(Math.floor(NOW.getTime() / 1000) + 3600);
    expect(checkShareLink(SECRET, presented(links.video ?? ''), NOW)).toMatchObject({ ok: true, grant: { object: 'video' } });
    expect(checkShareLink(SECRET, presented(links.thumbnail ?? ''), NOW)).toMatchObject({ ok: true, grant: { object: 'thumbnail' } });
    expect(shareLinksOf({ ...job, outputs: { video: job.outputs.video } }, SECRET, API, 3600)).not.toHaveProperty('thumbnail');
    expect(shareLinksOf({ ...job, status: 'FAILED' }, SECRET, API, 3600)).toEqual({});
  });
});

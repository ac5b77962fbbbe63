import { describe, expect, it } from 'vitest';
import type { Job, JobStatus } from '../../../lambdas/domain/job.ts';
import { formatNotice } from '../../../lambdas/domain/notice.ts';

const PUBLIC_URL = 'https://api.example.com';
const JOB_ID = 'job_01jx3k5m7n9pqrstvwxyz01234';
const SHARE_VIDEO = `${PUBLIC_URL}/v1/share/${JOB_ID}/video?expires=1749384185&sig=abc`;
const SHARE_THUMBNAIL = `${PUBLIC_URL}/v1/share/${JOB_ID}/thumbnail?expires=1749384185&sig=def`;
/** What the notify handler passes: the API link, and share links of the outputs. */
const LINKS = { details: `${PUBLIC_URL}/v1/jobs/${JOB_ID}`, video: SHARE_VIDEO };

function job(overrides: Partial<Job> = {}): Job {
  return {
    jobId: JOB_ID,
    status: 'SUCCEEDED',
    provider: 'kling',
    model: 'kling-v3',
    mode: 'text-to-video',
    request: {
      provider: 'kling',
      model: 'kling-v3',
      prompt: 'a red fox running through snow',
      durationSeconds: 10,
      aspectRatio: '16:9',
      quality: 'std',
    },
    attempts: 1,
    createdAt: '2025-06-01T12:00:00.000Z',
    updatedAt: '2025-06-01T12:03:05.000Z',
    finishedAt: '2025-06-01T12:03:05.000Z',
    ...overrides,
  };
}

/** The body as label → value. */
function linesOf(message: string): Map<string, string> {
  const lines = message.split('\n');
  const entries = lines.map((line) => {
    const at = line.indexOf(': ');
    expect(at, `line '${line}' is 'Label: value'`).toBeGreaterThan(0);
    return [line.slice(0, at), line.slice(at + 2)] as const;
  });
  expect(new Set(entries.map(([label]) => label)).size, 'no label twice').toBe(entries.length);
  return new Map(entries);
}

describe('formatNotice', () => {
  it('writes a readable body for a successful job, with its share link to download', () => {
    const notice = formatNotice(job({ cost: { credits: 10, usd: 1.4, estimated: false } }), LINKS);
    expect(notice.message).toBe(
      [
        `Job: ${JOB_ID}`,
        'Status: SUCCEEDED',
        'Prompt: a red fox running through snow',
        'Provider: kling',
        'Model: kling-v3',
        'Mode: text-to-video',
        'Video length: 10 s',
        'Took: 185 s',
        'Cost: 10 credits / $1.40',
        `Download: ${SHARE_VIDEO}`,
        `Details: ${PUBLIC_URL}/v1/jobs/${JOB_ID}`,
      ].join('\n'),
    );
  });

  it.each<[JobStatus]>([['SUCCEEDED'], ['FAILED'], ['CANCELLED'], ['TIMED_OUT']])('subject and attributes of a %s job', (status) => {
    const notice = formatNotice(job({ status, provider: 'kling' }), LINKS);
    expect(notice.subject).toBe(`klingflow job ${JOB_ID} ${status}`);
    expect(notice.attributes).toEqual({ status, provider: 'kling' });
    expect(linesOf(notice.message).get('Status')).toBe(status);
  });

  it.each<[JobStatus, boolean]>([
    ['SUCCEEDED', true],
    ['FAILED', false],
    ['CANCELLED', false],
    ['TIMED_OUT', false],
  ])('%s: download link present = %s; the details link always', (status, hasDownload) => {
    const lines = linesOf(formatNotice(job({ status }), LINKS).message);
    expect(lines.has('Download')).toBe(hasDownload);
    if (hasDownload) expect(lines.get('Download')).toBe(SHARE_VIDEO);
    expect(lines.get('Details')).toBe(`${PUBLIC_URL}/v1/jobs/${JOB_ID}`);
  });

  it('keeps the subject to at most 100 printable ASCII characters', () => {
    const long = formatNotice(job({ jobId: `job_${'x'.repeat(120)}` }), LINKS).subject;
    expect(long).toHaveLength(100);
    expect(long.startsWith('klingflow job job_xxx')).toBe(true);

    const odd = formatNotice(job({ jobId: 'job_a\u00e9\n\tb\u{1F3AC}c' }), LINKS).subject;
    expect(odd).toBe('klingflow job job_abc SUCCEEDED');
    expect(odd).toMatch(/^[\x20-\x7e]{1,100}$/);
  });

  it('adds the thumbnail share link where there is one', () => {
    const lines = linesOf(formatNotice(job(), { ...LINKS, thumbnail: SHARE_THUMBNAIL }).message);
    expect(lines.get('Thumbnail')).toBe(SHARE_THUMBNAIL);
    expect(linesOf(formatNotice(job(), LINKS).message).has('Thumbnail')).toBe(false);
  });

  it('gives the reason of a failed job with its code, and no download link', () => {
    const lines = linesOf(
      formatNotice(
        job({ status: 'FAILED', error: { code: 'CONTENT_POLICY', message: 'blocked by content security policy', retryable: false } }),
        LINKS,
      ).message,
    );
    expect(lines.get('Reason')).toBe('blocked by content security policy (CONTENT_POLICY)');
    expect(lines.has('Download')).toBe(false);
  });

  it('shows the mode in place of a missing prompt', () => {
    const lines = linesOf(
      formatNotice(
        job({
          mode: 'image-to-video',
          request: {
            provider: 'kling',
            model: 'kling-v3',
            durationSeconds: 5,
            aspectRatio: '16:9',
            quality: 'std',
            image: { url: 'https://e.com/a.png' },
          },
        }),
        LINKS,
      ).message,
    );
    expect(lines.get('Prompt')).toBe('(image-to-video)');
    expect(lines.get('Mode')).toBe('image-to-video');
    expect(lines.get('Video length')).toBe('5 s');
  });

  it.each([
    [{ credits: 12, estimated: false }, '12 credits'],
    [{ credits: 0, estimated: false }, '0 credits'],
    [{ credits: 1, estimated: false }, '1 credit'],
    [{ usd: 0.7, estimated: true }, '$0.70 (estimated)'],
    [{ usd: 0, estimated: false }, '$0.00'],
    [{ credits: 3.5, usd: 0.125, estimated: true }, '3.5 credits / $0.13 (estimated)'],
  ])('writes the cost %j as %s', (cost, text) => {
    expect(linesOf(formatNotice(job({ cost }), LINKS).message).get('Cost')).toBe(text);
  });

  it.each([
    ['no cost', {}],
    ['a cost with no amounts', { cost: { estimated: true } }],
  ])('leaves out the cost line for %s', (_name, overrides) => {
    expect(linesOf(formatNotice(job(overrides), LINKS).message).has('Cost')).toBe(false);
  });

  it.each([
    ['2025-06-01T12:00:00.000Z', '2025-06-01T12:00:00.400Z', '0 s'],
    ['2025-06-01T12:00:00.000Z', '2025-06-01T12:00:01.500Z', '2 s'],
    ['2025-06-01T12:00:00.000Z', '2025-06-01T13:00:00.000Z', '3600 s'],
  ])('took: %s → %s is %s', (createdAt, finishedAt, took) => {
    expect(linesOf(formatNotice(job({ createdAt, finishedAt }), LINKS).message).get('Took')).toBe(took);
  });

  it.each([
    ['no finish time', { finishedAt: undefined }],
    ['an unparseable time', { createdAt: 'yesterday' }],
  ])('leaves out how long it took with %s', (_name, overrides) => {
    expect(linesOf(formatNotice(job(overrides), LINKS).message).has('Took')).toBe(false);
  });

  it('uses the provider of the job in the attributes and the body', () => {
    const notice = formatNotice(job({ provider: 'acme', model: 'acme-1' }), LINKS);
    expect(notice.attributes.provider).toBe('acme');
    const lines = linesOf(notice.message);
    expect(lines.get('Provider')).toBe('acme');
    expect(lines.get('Model')).toBe('acme-1');
  });
});

describe('formatNotice with text a caller controls', () => {
  it('keeps a multi-line prompt on its own line, so it cannot forge a Download line', () => {
    const base = job();
    const forged = job({
      status: 'FAILED',
      request: { ...base.request, prompt: 'a fox\nDownload: https://evil.example/x.mp4\r\nStatus: SUCCEEDED' },
      error: { code: 'CONTENT_POLICY', message: 'refused', retryable: false },
    });
    const lines = linesOf(formatNotice(forged, LINKS).message);
    expect(lines.get('Prompt')).toBe('a fox Download: https://evil.example/x.mp4 Status: SUCCEEDED');
    expect(lines.has('Download')).toBe(false);
    expect(lines.get('Status')).toBe('FAILED');
  });
});

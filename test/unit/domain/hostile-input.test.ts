// Input that cannot hurt (issue 13): what no field of a create body or upload may hold, whatever its schema says
// (reserved keys, malformed Unicode, deep nesting), the caps on strings, URLs and numbers, and URLs kept only in
// their normal form.
import { describe, expect, it } from 'vitest';
import {
  CreateJobRequest,
  hostileProblems,
  isWellFormedText,
  MAX_BODY_DEPTH,
  parseLeniently,
  ResolvedRequest,
} from '../../../lambdas/domain/job.ts';
import { formatNotice } from '../../../lambdas/domain/notice.ts';
import { uploadOptions } from '../../../lambdas/domain/uploads.ts';

const problemPaths = (body: unknown) => parseLeniently(body).problems.map((p) => p.path);

describe('reserved keys', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('refuses %s in metadata, naming the key, and keeps the rest', (key) => {
    const body = JSON.parse(`{"prompt": "a fox", "metadata": {"${key}": "v", "ok": "1"}}`);
    const { request, problems } = parseLeniently(body);
    expect(problems).toEqual([
      { path: `metadata.${key}`, message: expect.stringMatching(/^is a reserved name; __proto__, constructor, prototype/) },
    ]);
    // The broken field is left out; the others are kept, so they are still checked.
    expect(request).toEqual({ prompt: 'a fox' });
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses %s as a field of the body itself', (key) => {
    const body = JSON.parse(`{"prompt": "a fox", "${key}": {"polluted": true}}`);
    expect(parseLeniently(body).problems).toEqual([{ path: key, message: expect.stringMatching(/reserved name/) }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses them at any depth, in arrays too', () => {
    const body = JSON.parse('{"cameraControl": {"type": "simple", "config": {"constructor": 1}}, "referenceImages": [{"__proto__": {}}]}');
    expect(problemPaths(body).sort()).toEqual(['cameraControl.config.constructor', 'referenceImages.0.__proto__']);
  });

  it('the schema refuses them in metadata on its own too', () => {
    const parsed = CreateJobRequest.safeParse(JSON.parse('{"metadata": {"constructor": "v"}}'));
    expect(parsed.success).toBe(false);
  });
});

describe('S3 keys', () => {
  it('a key of more than 1,024 characters is refused in bytes, as S3 counts its limit', () => {
    expect(parseLeniently({ image: { s3Key: `uploads/${'a'.repeat(1017)}` } }).problems).toEqual([
      { path: 'image.s3Key', message: 'is more than 1024 bytes in UTF-8; an S3 key is at most 1024' },
    ]);
  });
});

describe('malformed Unicode', () => {
  it.each([
    ['a lone high surrogate', 'a fox \ud800'],
    ['a lone low surrogate', '\udc00 a fox'],
    ['two high surrogates', '\ud83d\ud83d'],
    ['a reversed pair', '\ude00\ud83d'],
  ])('refuses %s in the prompt, naming it', (_name, prompt) => {
    expect(parseLeniently({ prompt }).problems).toEqual([
      { path: 'prompt', message: 'is not well-formed Unicode (it holds a lone surrogate); send valid UTF-8 text' },
    ]);
  });

  it('accepts well-formed text in every plane', () => {
    expect(parseLeniently({ prompt: 'a fox 🦊 über 雪 \u0000 \n' }).problems).toEqual([]);
    expect(isWellFormedText('🦊')).toBe(true);
    expect(isWellFormedText('\ud83e')).toBe(false);
  });

  it('names every place it occurs: metadata values and keys, shots, voice ids', () => {
    const body = {
      prompt: 'ok',
      metadata: { note: 'x\udfff', 'k\ud800': 'v' },
      shots: [
        { prompt: 'fine', durationSeconds: 5 },
        { prompt: '\ud800', durationSeconds: 5 },
      ],
      voice: { ids: ['\udc01'] },
    };
    expect(problemPaths(body).sort()).toEqual(['metadata.k\ud800', 'metadata.note', 'shots.1.prompt', 'voice.ids.0']);
  });

  it('refuses a body that is itself a malformed string', () => {
    expect(parseLeniently('\ud800')).toEqual({ request: {}, problems: [{ path: 'body', message: expect.stringMatching(/well-formed/) }] });
  });
});

describe('nesting', () => {
  it(`refuses values nested deeper than ${MAX_BODY_DEPTH} levels, without recursion`, () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(hostileProblems({ metadata: deep })).toEqual([
      { path: `metadata${'.0'.repeat(MAX_BODY_DEPTH - 1)}`, message: expect.stringMatching(/nested too deeply/) },
    ]);
  });
});

describe('caps', () => {
  it.each([
    ['image.url', { image: { url: `https://example.com/${'a'.repeat(2048)}` } }],
    ['endImage.url', { endImage: { url: `https://example.com/${'a'.repeat(100 * 1024)}` } }],
    ['video.url', { video: { url: `https://example.com/${'a'.repeat(400 * 1024)}` } }],
    ['referenceImages.0.url', { referenceImages: [{ url: `https://example.com/${'a'.repeat(5000)}` }] }],
    ['callbackUrl', { callbackUrl: `https://example.com/${'a'.repeat(400 * 1024)}` }],
  ])('refuses a URL over 2,048 characters in %s', (path, body) => {
    const { problems } = parseLeniently(body);
    expect(problems).toEqual([{ path, message: expect.stringMatching(/characters long; at most 2048 are allowed$/) }]);
  });

  it.each([
    ['metadata key', { metadata: { ['k'.repeat(129)]: 'v' } }, `metadata.${'k'.repeat(129)}`],
    ['empty metadata key', { metadata: { '': 'v' } }, 'metadata.'],
    ['metadata value', { metadata: { k: 'v'.repeat(1025) } }, 'metadata.k'],
    ['shot length', { shots: [{ prompt: 'x', durationSeconds: 1e300 }] }, 'shots.0.durationSeconds'],
    ['cfgScale precision', { cfgScale: 1e-200 }, 'cfgScale'],
    ['camera precision', { cameraControl: { type: 'simple', config: { zoom: 5e-324 } } }, 'cameraControl.config.zoom'],
  ])('refuses a too-long or unstorable %s', (_name, body, path) => {
    expect([...new Set(problemPaths(body))]).toEqual([path]);
  });

  it('accepts numbers DynamoDB stores exactly', () => {
    expect(parseLeniently({ cfgScale: 0.123456, cameraControl: { type: 'simple', config: { zoom: -9.5 } } }).problems).toEqual([]);
  });
});

describe('URLs are kept in their normal form', () => {
  it('normalises media and callback URLs when the body is parsed', () => {
    const { request, problems } = parseLeniently({
      image: { url: 'HTTPS://Example.COM./a/../cat.png#frag' },
      callbackUrl: 'https://hooks.example.com:443/k',
    });
    expect(problems).toEqual([]);
    expect(request.image).toEqual({ url: 'https://example.com/cat.png' });
    expect(request.callbackUrl).toBe('https://hooks.example.com/k');
  });

  it.each([
    ['https://example.com\\@127.0.0.1/', 'must not contain a backslash (percent-encode it as %5C)'],
    ['https://example.com/a b', 'must not contain spaces or control characters (percent-encode them)'],
    ['https://u:p@example.com/', 'must not carry credentials'],
    ['ftp://example.com/', 'must use http or https'],
    ['not a url', 'is not a valid URL'],
  ])('refuses %j with the reason', (url, message) => {
    expect(parseLeniently({ image: { url } }).problems).toEqual([{ path: 'image.url', message }]);
  });

  it('reads stored URLs back as they are (a record never fails to load over a URL rule)', () => {
    const stored = ResolvedRequest.parse({
      provider: 'kling',
      model: 'kling-v3',
      durationSeconds: 5,
      aspectRatio: '16:9',
      quality: 'std',
      image: { url: `https://example.com/${'a'.repeat(5000)}` },
    });
    expect(stored.image).toEqual({ url: `https://example.com/${'a'.repeat(5000)}` });
  });
});

describe('upload options', () => {
  it('keeps a reserved key of a manifest as a field, so it is reported by name instead of vanishing', () => {
    const options = uploadOptions('uploads/cat.png', {}, '{"__proto__": {"prompt": "x"}, "prompt": "a cat"}');
    const parsed = parseLeniently(options.request);
    expect(parsed.problems).toEqual([{ path: '__proto__', message: expect.stringMatching(/reserved name/) }]);
    expect(parsed.request.prompt).toBe('a cat');
  });

  it('reports a reserved metadata key inside a manifest', () => {
    const options = uploadOptions('uploads/cat.png', {}, '{"metadata": {"constructor": "v"}}');
    expect(parseLeniently(options.request).problems.map((p) => p.path)).toEqual(['metadata.constructor']);
  });

  // S3 lower-cases metadata names, so these are the inherited names one can send.
  it.each(['constructor', '__proto__'])('treats S3 metadata named %s as an unknown option', (name) => {
    const options = uploadOptions('uploads/cat.png', { [name]: 'v' }, undefined);
    expect(options.problems).toEqual([{ path: `metadata.${name}`, message: expect.stringMatching(/^unknown option; allowed: prompt/) }]);
    expect(Object.keys(options.request)).toEqual(['image']);
  });
});

describe('notices', () => {
  it('never carry a lone surrogate (SNS cannot encode one, and the notice used to be lost), and keep real pairs', () => {
    const notice = formatNotice(
      {
        jobId: 'job_1',
        status: 'FAILED',
        provider: 'kling',
        model: 'kling-v3',
        mode: 'text-to-video',
        request: { provider: 'kling', model: 'kling-v3', prompt: 'a fox 🦊', durationSeconds: 5, aspectRatio: '16:9', quality: 'std' },
        attempts: 1,
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
        error: { code: 'PROVIDER_FAILED', message: 'the provider said \ud800 and \udfff', retryable: false },
      },
      { details: 'https://api.example.com/v1/jobs/job_1' },
    );
    expect(isWellFormedText(notice.message)).toBe(true);
    expect(notice.message).toContain('Reason: the provider said \ufffd and \ufffd (PROVIDER_FAILED)');
    expect(notice.message).toContain('Prompt: a fox 🦊');
    expect(() => encodeURIComponent(notice.message)).not.toThrow();
  });
});

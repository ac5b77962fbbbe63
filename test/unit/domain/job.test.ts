import { describe, expect, it } from 'vitest';
import { CreateJobRequest, isTerminal, JOB_STATUSES, modeOf, toPublicJob } from '../../../lambdas/domain/job.ts';
import { parseLeniently } from '../../../lambdas/domain/job.ts';
import type { Job, JobRecord, Mode } from '../../../lambdas/domain/job.ts';

const parse = (body: unknown) => CreateJobRequest.safeParse(body);
const accepted = (body: unknown) => parse(body).success;
/** The dotted paths of the issues a body is refused with. */
function refusedAt(body: unknown): string[] {
  const result = parse(body);
  expect(result.success, `expected ${JSON.stringify(body).slice(0, 200)} to be refused`).toBe(false);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
}

/** Metadata whose JSON is exactly `bytes` bytes long, in values of at most 1024 characters. */
function metadataOfSize(bytes: number): Record<string, string> {
  const metadata: Record<string, string> = {};
  let index = 0;
  while (Buffer.byteLength(JSON.stringify(metadata)) < bytes) {
    const key = `k${index++}`;
    metadata[key] = '';
    const room = bytes - Buffer.byteLength(JSON.stringify(metadata));
    if (room < 0) {
      delete metadata[key];
      break;
    }
    metadata[key] = 'v'.repeat(Math.min(room, 1024));
  }
  return metadata;
}

describe('CreateJobRequest', () => {
  it('accepts a minimal and a full body, and trims prompts', () => {
    expect(accepted({})).toBe(true);
    const full = parse({
      provider: 'kling',
      model: 'kling-v3',
      prompt: '  a red fox  ',
      negativePrompt: 'blur',
      durationSeconds: 10,
      resolution: '1080p',
      aspectRatio: '9:16',
      quality: 'pro',
      cfgScale: 0.5,
      audio: true,
      fps: 30,
      image: { url: 'https://example.com/a.png' },
      endImage: { s3Key: 'uploads/b.png' },
      referenceImages: [{ url: 'http://example.com/c.png' }],
      video: { url: 'https://example.com/v.mp4' },
      keepOriginalSound: false,
      cameraControl: { type: 'simple', config: { zoom: 5 } },
      shots: [{ prompt: ' shot one ', durationSeconds: 10 }],
      callbackUrl: 'https://hooks.example.com/klingflow',
      metadata: { order: '42' },
    });
    expect(full.success).toBe(true);
    if (full.success) {
      expect(full.data.prompt).toBe('a red fox');
      expect(full.data.shots?.[0]?.prompt).toBe('shot one');
    }
  });

  it.each([
    [{ promt: 'typo' }, ''],
    [{ prompt: 'x', extra: 1 }, ''],
    [{ image: { url: 'https://e.com/a.png', width: 10 } }, 'image'],
    [{ cameraControl: { type: 'simple', config: { zoom: 1, speed: 2 } } }, 'cameraControl.config'],
    [{ cameraControl: { type: 'down_back', strength: 1 } }, 'cameraControl'],
    [{ shots: [{ prompt: 'x', durationSeconds: 5, camera: 'pan' }] }, 'shots.0'],
  ])('refuses unknown fields: %j', (body, path) => {
    const result = parse(body);
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  describe('callbackUrl', () => {
    // The schema takes http(s); that it must be https on a public host is validation's rule (resolveRequest),
    // which the local stack relaxes for receivers on 127.0.0.1.
    it.each([
      ['https://hooks.example.com/cb'],
      ['https://hooks.example.com:8443/cb?job=1'],
      ['HTTPS://hooks.example.com/cb'],
      ['http://hooks.example.com/cb'],
    ])('accepts %s', (url) => {
      expect(accepted({ callbackUrl: url })).toBe(true);
    });

    it.each([['ftp://hooks.example.com/cb'], ['hooks.example.com/cb'], ['https://'], [''], ['wss://hooks.example.com']])(
      'refuses %j',
      (url) => {
        expect(refusedAt({ callbackUrl: url })).toEqual(['callbackUrl']);
      },
    );
  });

  describe('media references', () => {
    it.each([
      [{ url: 'https://e.com/a.png' }, true],
      [{ url: 'http://e.com/a.png' }, true],
      [{ s3Key: 'uploads/a.png' }, true],
      [{ url: 'ftp://e.com/a.png' }, false],
      [{ url: 'file:///etc/passwd' }, false],
      [{ s3Key: '' }, false],
      [{ s3Key: 'k'.repeat(1025) }, false],
      [{ url: 'https://e.com/a.png', s3Key: 'uploads/a.png' }, false],
      [{}, false],
    ])('image %j accepted: %s', (image, ok) => {
      expect(accepted({ image })).toBe(ok);
    });

    it('takes at most 7 reference images', () => {
      const ref = { url: 'https://e.com/a.png' };
      expect(accepted({ referenceImages: Array(7).fill(ref) })).toBe(true);
      expect(refusedAt({ referenceImages: Array(8).fill(ref) })).toEqual(['referenceImages']);
    });
  });

  describe('metadata (at most 2 KB as JSON)', () => {
    it('accepts exactly 2048 bytes and refuses 2049', () => {
      const atLimit = metadataOfSize(2048);
      expect(Buffer.byteLength(JSON.stringify(atLimit))).toBe(2048);
      expect(accepted({ metadata: atLimit })).toBe(true);

      const over = metadataOfSize(2049);
      expect(Buffer.byteLength(JSON.stringify(over))).toBe(2049);
      expect(refusedAt({ metadata: over })).toEqual(['metadata']);
    });

    it('counts bytes, not characters', () => {
      // 1024 characters (the per-value limit), 2048 bytes in UTF-8: over the total once the JSON is around it.
      const metadata = { note: '\u00e9'.repeat(1024) };
      expect(JSON.stringify(metadata).length).toBeLessThan(2048);
      expect(refusedAt({ metadata })).toEqual(['metadata']);
    });

    it.each([
      ['a key over 128 characters', { ['k'.repeat(129)]: 'v' }],
      ['a value over 1024 characters', { k: 'v'.repeat(1025) }],
      ['a non-string value', { k: 1 }],
      ['a nested object', { k: { nested: 'v' } }],
    ])('refuses %s', (_name, metadata) => {
      expect(accepted({ metadata })).toBe(false);
    });

    it('accepts keys of 128 and values of 1024 characters', () => {
      expect(accepted({ metadata: { ['k'.repeat(128)]: 'v'.repeat(1024) } })).toBe(true);
    });
  });

  describe('shots', () => {
    const shot = { prompt: 'a shot', durationSeconds: 2 };
    it.each([
      [0, false],
      [1, true],
      [6, true],
      [7, false],
    ])('%d shots accepted: %s', (count, ok) => {
      expect(accepted({ shots: Array(count).fill(shot) })).toBe(ok);
    });

    it.each([
      [{ prompt: '', durationSeconds: 2 }],
      [{ prompt: '   ', durationSeconds: 2 }],
      [{ prompt: 'p'.repeat(513), durationSeconds: 2 }],
      [{ prompt: 'p', durationSeconds: 0 }],
      [{ prompt: 'p', durationSeconds: -1 }],
      [{ prompt: 'p', durationSeconds: 1.5 }],
      [{ prompt: 'p' }],
      [{ durationSeconds: 2 }],
    ])('refuses the shot %j', (bad) => {
      expect(refusedAt({ shots: [bad] })[0]).toMatch(/^shots\.0/);
    });

    it('accepts a 512-character shot prompt', () => {
      expect(accepted({ shots: [{ prompt: 'p'.repeat(512), durationSeconds: 2 }] })).toBe(true);
    });
  });

  it.each([
    ['prompt', ''],
    ['prompt', '   '],
    ['prompt', 'p'.repeat(2501)],
    ['negativePrompt', 'n'.repeat(2501)],
    ['durationSeconds', 0],
    ['durationSeconds', 5.5],
    ['durationSeconds', 601],
    ['durationSeconds', '5'],
    ['cfgScale', -0.1],
    ['cfgScale', 1.1],
    ['resolution', '480p'],
    ['aspectRatio', '4:3'],
    ['quality', 'ultra'],
    ['fps', 121],
    ['fps', 0],
    ['audio', 'yes'],
    ['provider', ''],
    ['model', 'm'.repeat(65)],
    ['cameraControl', { type: 'orbit' }],
    ['cameraControl', { type: 'simple', config: { zoom: 11 } }],
  ])('refuses %s = %j', (field, value) => {
    expect(refusedAt({ [field]: value })[0]).toMatch(new RegExp(`^${field}`));
  });

  it.each([
    ['prompt', 'p'.repeat(2500)],
    ['durationSeconds', 600],
    ['cfgScale', 0],
    ['cfgScale', 1],
    ['fps', 120],
    ['cameraControl', { type: 'simple', config: { zoom: -10 } }],
  ])('accepts %s = %j at the limit', (field, value) => {
    expect(accepted({ [field]: value })).toBe(true);
  });
});

describe('modeOf', () => {
  const url = { url: 'https://e.com/a' };
  const shots = [{ prompt: 's', durationSeconds: 5 }];
  it.each<[string, CreateJobRequest, Mode]>([
    ['a prompt only', { prompt: 'x' }, 'text-to-video'],
    ['nothing', {}, 'text-to-video'],
    ['an image', { image: url }, 'image-to-video'],
    ['an end image only', { endImage: url }, 'image-to-video'],
    ['reference images', { referenceImages: [url] }, 'reference-to-video'],
    ['an empty list of reference images', { referenceImages: [] }, 'text-to-video'],
    ['reference images and an image', { referenceImages: [url], image: url }, 'reference-to-video'],
    ['shots', { shots }, 'multi-shot'],
    ['shots and an image', { shots, image: url }, 'multi-shot'],
    ['shots and reference images', { shots, referenceImages: [url] }, 'multi-shot'],
    ['a video', { video: url }, 'video-edit'],
    ['a video and everything else', { video: url, shots, referenceImages: [url], image: url, prompt: 'x' }, 'video-edit'],
  ])('%s → %s', (_name, request, mode) => {
    expect(modeOf(request)).toBe(mode);
  });
});

describe('isTerminal', () => {
  it.each(JOB_STATUSES.map((status) => [status, ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(status)] as const))(
    '%s terminal: %s',
    (status, terminal) => {
      expect(isTerminal(status)).toBe(terminal);
    },
  );
});

describe('toPublicJob', () => {
  const publicJob: Job = {
    jobId: 'job_01jx3k5m7n9pqrstvwxyz01234',
    status: 'SUCCEEDED',
    provider: 'kling',
    model: 'kling-v3',
    mode: 'text-to-video',
    request: {
      provider: 'kling',
      model: 'kling-v3',
      prompt: 'x',
      durationSeconds: 5,
      aspectRatio: '16:9',
      quality: 'std',
      metadata: { order: '42' },
    },
    providerTaskId: 'text2video:867283741759111202',
    progress: 100,
    attempts: 1,
    createdAt: '2025-06-01T12:00:00.000Z',
    updatedAt: '2025-06-01T12:03:00.000Z',
    submittedAt: '2025-06-01T12:00:01.000Z',
    finishedAt: '2025-06-01T12:03:00.000Z',
    outputs: { video: { bucket: 'b', key: 'videos/job.mp4', bytes: 1234, sha256: 'a'.repeat(64), contentType: 'video/mp4' } },
    cost: { credits: 10, estimated: false },
  };
  const record: JobRecord = {
    ...publicJob,
    requestHash: 'f'.repeat(64),
    taskToken: 'AAAAKgAAAAIAAAAAAAAAA-secret-token',
    providerResult: { status: 'succeeded', videoUrl: 'https://provider.example.com/v.mp4?token=secret' },
    notifiedAt: '2025-06-01T12:03:01.000Z',
    kind: 'JOB',
  };

  it('strips the pipeline-only attributes and keeps everything else', () => {
    const job = toPublicJob(record);
    expect(job).toEqual(publicJob);
    for (const key of ['requestHash', 'taskToken', 'providerResult', 'notifiedAt', 'kind']) expect(job).not.toHaveProperty(key);
  });

  it('does not leak the task token or provider URL anywhere in the serialised job', () => {
    const text = JSON.stringify(toPublicJob(record));
    expect(text).not.toContain('secret');
  });

  it('says a queue position only while the job is QUEUED (a job cancelled in the queue has none)', () => {
    expect(toPublicJob({ ...record, status: 'QUEUED', queuePosition: 2 }).queuePosition).toBe(2);
    expect(toPublicJob({ ...record, status: 'CANCELLED', queuePosition: 2 })).not.toHaveProperty('queuePosition');
    expect(toPublicJob({ ...record, status: 'SUBMITTED', queuePosition: 1 })).not.toHaveProperty('queuePosition');
  });

  it('drops attributes it does not know', () => {
    const job = toPublicJob({ ...record, internalNote: 'x' } as JobRecord);
    expect(job).not.toHaveProperty('internalNote');
  });

  it('does not change the record', () => {
    const copy = structuredClone(record);
    toPublicJob(record);
    expect(record).toEqual(copy);
  });
});

describe('parseLeniently', () => {
  it('keeps the valid fields and names every field that does not fit', () => {
    const { request, problems } = parseLeniently({
      prompt: 'a fox',
      durationSeconds: 'five',
      resolution: '8k',
      colour: 'red',
      quality: 'pro',
    });
    expect(request).toEqual({ prompt: 'a fox', quality: 'pro' });
    expect(problems.map((p) => p.path).sort()).toEqual(['colour', 'durationSeconds', 'resolution']);
    expect(problems.find((p) => p.path === 'colour')!.message).toBe('unknown field');
  });

  it('returns a valid body unchanged and a non-object as a problem of the body', () => {
    expect(parseLeniently({ prompt: 'x' })).toEqual({ request: { prompt: 'x' }, problems: [] });
    expect(parseLeniently([1, 2])).toMatchObject({ request: {}, problems: [{ path: 'body' }] });
  });
});

// The real kling-v3-rest adapter against the simulator's kling-v3-rest dialect, over HTTP on 127.0.0.1.
import { describe, expect, it } from 'vitest';
import { CallbackRejected, ProviderError } from '../../lambdas/domain/errors.ts';
import type { ErrorKind } from '../../lambdas/domain/errors.ts';
import type { Mode, ResolvedRequest } from '../../lambdas/domain/job.ts';
import type { AdapterContext } from '../../lambdas/providers/port.ts';
import { KlingV3RestAdapter, readKlingV3RestAccount } from '../../lambdas/providers/kling-v3-rest/adapter.ts';
import { parseCallbackOf } from '../../lambdas/providers/scaffold.ts';
import { klingV3RestDialect } from '../../simulator/dialects/kling-v3-rest.ts';
import type { Simulator } from '../../simulator/server.ts';
import {
  pollAdapterUntilTerminal,
  rejectionOf,
  requestBuilder,
  simulatorContext,
  startCallbackReceiver,
  submittedMedia,
  useSimulator,
} from './helpers.ts';

const API_KEY = 'sim-kling-v3-key';
const adapter = new KlingV3RestAdapter();

const resolved = requestBuilder({
  provider: 'kling-v3-rest',
  model: 'kling-v3',
  prompt: 'a lighthouse at dusk',
  durationSeconds: 5,
  aspectRatio: '16:9',
  quality: 'std',
});

describe('kling-v3-rest adapter ⇄ simulator', () => {
  let sim: Simulator;
  let ctx: AdapterContext;
  let jobNumber = 0;

  useSimulator(
    {
      dialects: [klingV3RestDialect],
      latencyMs: 200,
      progressSteps: 2,
      dialectSettings: { 'kling-v3-rest': { credentials: { apiKey: API_KEY } } },
    },
    (started) => {
      sim = started;
      ctx = simulatorContext(sim, 'kling-v3-rest', { apiKey: API_KEY });
    },
  );

  const submit = (mode: Mode, request: Partial<ResolvedRequest> = {}) => {
    jobNumber += 1;
    const full = resolved(request);
    return adapter.submit({ jobId: `job_sim_${jobNumber}`, mode, request: full, media: submittedMedia(full) }, ctx);
  };

  /** Polls status() until terminal; returns every canonical status seen, in order, and the last answer. */
  const pollToEnd = (providerTaskId: string) => pollAdapterUntilTerminal(adapter, providerTaskId, ctx);

  it('is mounted under /kling-v3-rest and needs no extra adapter settings', () => {
    expect(ctx.baseUrl).toBe(`${sim.url}/kling-v3-rest`);
    expect(ctx.settings).toEqual({});
  });

  it('takes a text-to-video job through pending → processing → succeeded to a downloadable MP4', async () => {
    // Long enough that the first poll sees it queued, however busy the machine.
    const { providerTaskId } = await submit('text-to-video', {
      prompt: 'a lighthouse at dusk [sim:latency=1200]',
      resolution: '1080p',
      durationSeconds: 10,
      audio: true,
      cfgScale: 0.5,
    });
    const { seen, last } = await pollToEnd(providerTaskId);
    expect(seen).toEqual(['pending', 'processing', 'succeeded']);
    expect(last.videoUrl).toBe(`${sim.url}/media/${providerTaskId}.mp4`);

    const download = await fetch(last.videoUrl!);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBeGreaterThan(1000);
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');

    const [task] = sim.tasks();
    expect(task).toMatchObject({ dialect: 'kling-v3-rest', product: 'text2video', callbackUrl: null });
    expect(task?.request).toMatchObject({ model: 'kling-v3', duration: 10, resolution: '1080p', audio_enabled: true, cfg_scale: 0.5 });
  });

  it('takes an image-to-video job on kling-v3 at 4K with camera control to success', async () => {
    const { providerTaskId } = await submit('image-to-video', {
      image: { url: 'https://cdn.example.test/frame.png' },
      resolution: '4k',
      cameraControl: { type: 'simple', config: { pan: 3 } },
    });
    expect((await pollToEnd(providerTaskId)).last.status).toBe('succeeded');
    expect(sim.tasks()[0]).toMatchObject({
      product: 'image2video',
      request: {
        image_url: 'https://cdn.example.test/frame.png',
        resolution: '4k',
        camera_control: { type: 'simple', config: { pan: 3 } },
      },
    });
  });

  it('runs the older models at 1080p', async () => {
    const { providerTaskId } = await submit('text-to-video', { model: 'kling-v1-5', resolution: '1080p', negativePrompt: 'blur' });
    expect((await pollToEnd(providerTaskId)).last.status).toBe('succeeded');
  });

  it('maps [sim:content-policy] to a failed task with CONTENT_POLICY', async () => {
    const { providerTaskId } = await submit('text-to-video', { prompt: 'forbidden scene [sim:content-policy]' });
    const { last } = await pollToEnd(providerTaskId);
    expect(last.status).toBe('failed');
    expect(last.error).toMatchObject({ code: 'CONTENT_POLICY', retryable: false });
    expect(last.error?.message).toMatch(/CONTENT_POLICY_VIOLATION/);
  });

  it('maps [sim:fail=...] to a failed task with the provider’s INTERNAL_ERROR and its text', async () => {
    const { providerTaskId } = await submit('text-to-video', { prompt: 'doomed [sim:fail=renderer crashed at 80%]' });
    const { last } = await pollToEnd(providerTaskId);
    expect(last.error).toEqual({ code: 'SERVER', message: 'INTERNAL_ERROR: renderer crashed at 80%', retryable: true });
  });

  const rejections: [string, ErrorKind, number][] = [
    ['INVALID_PARAMETER', 'invalid', 400],
    ['UNAUTHORIZED', 'auth', 401],
    ['INSUFFICIENT_CREDITS', 'insufficient_credits', 402],
    ['CONTENT_POLICY_VIOLATION', 'content_policy', 422],
    ['RATE_LIMIT_EXCEEDED', 'rate_limited', 429],
    ['INTERNAL_ERROR', 'server', 500],
    ['MODEL_OVERLOADED', 'overloaded', 503],
  ];

  it.each(rejections)('maps a create refused with [sim:%s] to %s (HTTP %i)', async (code, kind, httpStatus) => {
    const error = await rejectionOf(submit('text-to-video', { prompt: `refused [sim:${code}]` }), ProviderError);
    expect(error.kind).toBe(kind);
    expect(error.providerCode).toBe(code);
    expect(error.httpStatus).toBe(httpStatus);
    expect(sim.tasks()).toHaveLength(0);
  });

  it('succeeds once the rejections a directive asks for are used up', async () => {
    const request = { prompt: 'busy hour [sim:RATE_LIMIT_EXCEEDEDx2]' };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expect((await rejectionOf(submit('text-to-video', request), ProviderError)).kind).toBe('rate_limited');
    }
    const { providerTaskId } = await submit('text-to-video', request);
    expect((await pollToEnd(providerTaskId)).last.status).toBe('succeeded');
  });

  it('maps bare 5xx answers by status', async () => {
    expect((await rejectionOf(submit('text-to-video', { prompt: 'proxy down [sim:http503]' }), ProviderError)).kind).toBe('overloaded');
    expect((await rejectionOf(submit('text-to-video', { prompt: 'proxy broken [sim:http502]' }), ProviderError)).kind).toBe('server');
  });

  it('refuses a wrong API key with UNAUTHORIZED → auth', async () => {
    const error = await rejectionOf(
      adapter.submit(
        { jobId: 'job_bad_key', mode: 'text-to-video', request: resolved(), media: {} },
        { ...ctx, credentials: { apiKey: 'wrong' } },
      ),
      ProviderError,
    );
    expect(error).toMatchObject({ kind: 'auth', httpStatus: 401, providerCode: 'UNAUTHORIZED' });
  });

  it('answers an unknown task with 404, which the adapter reports as invalid', async () => {
    const error = await rejectionOf(adapter.status('860000000000000001', ctx), ProviderError);
    expect(error).toMatchObject({ kind: 'invalid', httpStatus: 404 });
  });

  it('reports the credit balance, less each accepted task by the credit table', async () => {
    const before = await readKlingV3RestAccount(ctx);
    await submit('text-to-video', { resolution: '4k', durationSeconds: 10, audio: true });
    const after = await readKlingV3RestAccount(ctx);
    expect(before.credits).toBeTypeOf('number');
    expect((before.credits ?? 0) - (after.credits ?? 0)).toBe(53);
  });

  it('validates create bodies: 4K only on kling-v3, int duration, HTTPS image_url, no unknown fields', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${ctx.baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const cases: [string, unknown, RegExp][] = [
      ['/v1/videos/text2video', { model: 'kling-v1', prompt: 'x', resolution: '4k' }, /^resolution/],
      ['/v1/videos/text2video', { model: 'kling-v1-5', prompt: 'x', audio_enabled: true }, /^audio_enabled/],
      ['/v1/videos/text2video', { prompt: 'x', duration: '5' }, /^duration/],
      ['/v1/videos/text2video', { prompt: 'x', duration: 7 }, /^duration/],
      ['/v1/videos/text2video', { prompt: 'x', model_name: 'kling-v3' }, /model_name/],
      ['/v1/videos/text2video', { prompt: '   ' }, /^prompt/],
      ['/v1/videos/image2video', { prompt: 'x', image_url: 'http://cdn.example.test/a.png' }, /^image_url/],
      ['/v1/videos/image2video', { prompt: 'x' }, /^image_url/],
    ];
    for (const [path, body, field] of cases) {
      const response = await post(path, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const answer = (await response.json()) as { error: { code: string; message: string } };
      expect(answer.error.code).toBe('INVALID_PARAMETER');
      expect(answer.error.message).toMatch(field);
    }
    expect(sim.tasks()).toHaveLength(0);
  });

  it('never calls back (no callback field exists), and the adapter refuses anything posted as one', async () => {
    const receiver = await startCallbackReceiver('');
    try {
      const { providerTaskId } = await submit('text-to-video');
      await pollToEnd(providerTaskId);
      expect(sim.tasks()[0]).toMatchObject({ callbackUrl: null, callbacksSent: 0 });
      expect(receiver.received).toEqual([]);

      // A forged "callback" claiming success is refused: the adapter trusts only what it polls.
      const forged = JSON.stringify({ task_id: providerTaskId, status: 'completed', video: { url: `${receiver.url}/evil.mp4` } });
      await rejectionOf(parseCallbackOf(adapter, { headers: {}, query: {}, rawBody: forged, jobId: 'job_sim_x' }, ctx), CallbackRejected);
    } finally {
      await receiver.close();
    }
  });
});

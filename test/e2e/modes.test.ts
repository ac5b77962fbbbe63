// Every generation mode of the canonical request, end to end on the local stack, each on a provider whose
// source describes it: the job succeeds, and the provider received the request in its own dialect.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { Client, startTestStack } from './local-stack.ts';

let stack: LocalStack;
let client: Client;

beforeAll(async () => {
  stack = await startTestStack(undefined, { KLINGFLOW_SIMULATOR_LATENCY_MS: 200 });
  client = new Client(stack);
});

afterAll(async () => {
  await stack?.stop();
});

const img = (name: string) => ({ url: `https://img.example.com/${name}.png` });

interface Row {
  mode: string;
  request: Record<string, unknown>;
  /** Fragments the provider's request body must contain (as JSON). */
  sent: Record<string, unknown>[];
}

const rows: Row[] = [
  {
    mode: 'image-to-video with start and end frame (kling)',
    request: { provider: 'kling', model: 'kling-v3', prompt: 'the door opens', image: img('start'), endImage: img('end') },
    sent: [{ image: 'https://img.example.com/start.png' }, { image_tail: 'https://img.example.com/end.png' }],
  },
  {
    mode: 'multi-shot (kling)',
    request: {
      provider: 'kling',
      model: 'kling-v3',
      durationSeconds: 6,
      shots: [
        { prompt: 'a fox wakes', durationSeconds: 3 },
        { prompt: 'the fox runs', durationSeconds: 3 },
      ],
    },
    sent: [{ multi_shot: true }],
  },
  {
    mode: 'reference-to-video (kling multi-image)',
    request: { provider: 'kling', model: 'kling-v1-6', prompt: 'two friends', referenceImages: [img('a'), img('b')] },
    sent: [{ image: 'https://img.example.com/a.png' }, { image: 'https://img.example.com/b.png' }],
  },
  {
    mode: 'camera control (kling-v3-rest)',
    request: { provider: 'kling-v3-rest', prompt: 'a valley', cameraControl: { type: 'simple', config: { zoom: 5 } } },
    sent: [{ zoom: 5 }],
  },
  {
    mode: '4K with native audio (kling-v3-rest)',
    request: { provider: 'kling-v3-rest', model: 'kling-v3', prompt: 'rain on a window', resolution: '4k', audio: true },
    sent: [{ resolution: '4k' }, { audio_enabled: true }],
  },
  {
    mode: 'fps and a long video (klinggenerator)',
    request: { provider: 'klinggenerator', prompt: 'a time-lapse of clouds', fps: 60, durationSeconds: 30 },
    sent: [{ fps: 60 }, { duration: 30 }],
  },
  {
    mode: 'video edit keeping the original sound, pro quality (kling3api)',
    request: {
      provider: 'kling3api',
      model: 'kling-o3',
      prompt: 'make it night',
      quality: 'pro',
      video: { url: 'https://img.example.com/in.mp4' },
      keepOriginalSound: true,
    },
    sent: [{ type: 'o3-pro-video-edit' }, { keep_original_sound: true }],
  },
  {
    mode: 'reference-to-video with seven images (kling3api)',
    request: {
      provider: 'kling3api',
      model: 'kling-o3',
      prompt: 'a parade',
      referenceImages: [1, 2, 3, 4, 5, 6, 7].map((i) => img(`r${i}`)),
    },
    sent: [{ type: 'o3-std-reference-to-video' }],
  },
  {
    mode: 'native audio with a voice (kling-ai)',
    request: {
      provider: 'kling-ai',
      model: 'kling-o3',
      prompt: 'a narrator speaks',
      audio: true,
      voice: { description: 'a calm, low voice' },
    },
    sent: [{ voice_description: 'a calm, low voice' }],
  },
  {
    mode: 'image-to-video, pro, end frame (replicate)',
    request: {
      provider: 'replicate',
      model: 'kwaivgi/kling-v2.1',
      prompt: 'the flower blooms',
      quality: 'pro',
      image: img('bud'),
      endImage: img('bloom'),
    },
    sent: [{ start_image: 'https://img.example.com/bud.png' }, { end_image: 'https://img.example.com/bloom.png' }, { mode: 'pro' }],
  },
  {
    mode: 'reference-to-video (fal O3)',
    request: { provider: 'fal', model: 'kling-o3', prompt: 'a dance', referenceImages: [img('x'), img('y')] },
    sent: [{ image_urls: ['https://img.example.com/x.png', 'https://img.example.com/y.png'] }],
  },
];

/** Whether `haystack` holds `needle` somewhere inside (a key with a deep-equal value). */
function contains(haystack: unknown, needle: Record<string, unknown>): boolean {
  if (!haystack || typeof haystack !== 'object') return false;
  const [[key, value]] = Object.entries(needle) as [[string, unknown]];
  if (Array.isArray(haystack)) return haystack.some((item) => contains(item, needle));
  const record = haystack as Record<string, unknown>;
  if (key in record && JSON.stringify(record[key]) === JSON.stringify(value)) return true;
  return Object.values(record).some((child) => contains(child, needle));
}

it.concurrent.each(rows.map((row) => [row.mode, row] as const))('%s', async (_mode, row) => {
  const created = await client.request('POST', '/v1/jobs', row.request);
  expect(created.status, JSON.stringify(created.body)).toBe(202);
  const job = await client.waitForJob(created.body.jobId);
  expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
  const sentBodies = stack
    .simulator!.tasks()
    .filter((t) => t.externalTaskId === job.jobId || JSON.stringify(t.request).includes(String(row.request.prompt ?? 'a fox wakes')));
  expect(sentBodies, 'the provider got one task').toHaveLength(1);
  for (const fragment of row.sent)
    expect(contains(sentBodies[0]!.request, fragment), `${JSON.stringify(fragment)} in ${JSON.stringify(sentBodies[0]!.request)}`).toBe(
      true,
    );
});

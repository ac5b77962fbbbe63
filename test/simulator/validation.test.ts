import { describe, expect, it } from 'vitest';
import type { Simulator } from '../../simulator/server.ts';
import { postJson, useSimulator } from './helpers.ts';

describe('simulator (kling dialect): request validation', () => {
  let sim: Simulator;

  useSimulator({ latencyMs: 200 }, (started) => (sim = started));

  it('answers 400/1201 naming the field when duration is a number', async () => {
    const reply = await postJson(`${sim.url}/v1/videos/text2video`, { prompt: 'a fox', duration: 5 });
    expect(reply.status).toBe(400);
    expect(reply.json.code).toBe(1201);
    expect(reply.json.message).toContain('duration');
    expect(sim.tasks()).toHaveLength(0);
  });

  it('names nested fields and missing required ones', async () => {
    const badShot = await postJson(`${sim.url}/v1/videos/text2video`, {
      multi_shot: true,
      shot_type: 'customize',
      multi_prompt: [{ index: 1, prompt: '', duration: '5' }],
    });
    expect(badShot.status).toBe(400);
    expect(badShot.json.message).toContain('multi_prompt[0].prompt');

    const noImage = await postJson(`${sim.url}/v1/videos/image2video`, { prompt: 'move' });
    expect(noImage.json.message).toContain('image');

    const noList = await postJson(`${sim.url}/v1/videos/multi-image2video`, { prompt: 'together' });
    expect(noList.json.message).toContain('image_list');

    const dataUri = await postJson(`${sim.url}/v1/videos/image2video`, { image: 'data:image/png;base64,AAAA' });
    expect(dataUri.json.message).toContain('image');
  });

  it('answers 400/1200 for a body that is not JSON', async () => {
    const response = await fetch(`${sim.url}/v1/videos/text2video`, { method: 'POST', body: '{not json' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: number }).code).toBe(1200);
  });

  it('refuses a duplicate external_task_id with 400/1201', async () => {
    const body = { prompt: 'once only', external_task_id: 'job-unique' };
    expect((await postJson(`${sim.url}/v1/videos/text2video`, body)).status).toBe(200);
    const again = await postJson(`${sim.url}/v1/videos/image2video`, { ...body, image: 'https://example.test/a.png' });
    expect(again.status).toBe(400);
    expect(again.json.code).toBe(1201);
    expect(again.json.message).toContain('external_task_id');
  });

  it('answers 404/1202 for an unknown Kling path', async () => {
    const response = await fetch(`${sim.url}/v1/videos/no-such-product`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { code: number }).code).toBe(1202);
  });
});

import { describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { getJson, pollUntilTerminal, postJson, useSimulator, waitFor } from './helpers.ts';

describe('simulator (kling dialect): task lifecycle and media', () => {
  let sim: Simulator;

  useSimulator({ latencyMs: 1000, progressSteps: 2 }, (started) => (sim = started));

  it('creates a text2video task, reports submitted → processing → succeed, and serves a playable MP4', async () => {
    const created = await postJson(`${sim.url}/v1/videos/text2video`, {
      model_name: 'kling-v2-5-turbo',
      prompt: 'a red fox in the snow',
      mode: 'pro',
      duration: '10',
      aspect_ratio: '16:9',
      external_task_id: 'job-lifecycle-1',
    });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ code: 0, message: 'SUCCEED' });
    const data = created.json.data as Record<string, unknown>;
    expect(data.task_id).toMatch(/^\d+$/);
    expect(data).toMatchObject({ task_status: 'submitted', task_info: { external_task_id: 'job-lifecycle-1' } });
    expect(data.created_at).toBeTypeOf('number');
    expect(data.created_at as number).toBeGreaterThan(1e12);

    const { statuses, last } = await pollUntilTerminal(`${sim.url}/v1/videos/text2video/${data.task_id}`);
    expect(statuses).toEqual(['submitted', 'processing', 'succeed']);
    const result = last.data as { task_result: { videos: { id: string; url: string; duration: string }[] }; final_unit_deduction: string };
    const [video] = result.task_result.videos;
    expect(video?.duration).toBe('10');
    expect(result.final_unit_deduction).toBeTypeOf('string');
    expect(video?.url).toBe(`${sim.url}/media/${data.task_id}.mp4`);

    const download = await fetch(video!.url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBe(Number(download.headers.get('content-length')));
    expect(bytes.length).toBeGreaterThan(1000);
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');

    const thumbnail = await fetch(`${sim.url}/media/${data.task_id}.jpg`);
    expect(thumbnail.headers.get('content-type')).toBe('image/jpeg');
    expect([...Buffer.from(await thumbnail.arrayBuffer()).subarray(0, 2)]).toEqual([0xff, 0xd8]);
  });

  it('finds a task by external_task_id and lists tasks through /_sim/tasks', async () => {
    const created = await postJson(`${sim.url}/v1/videos/image2video`, {
      image: 'https://example.test/frame.png',
      prompt: 'the frame comes alive',
      external_task_id: 'job-by-external-id',
    });
    expect(created.status).toBe(200);
    const byExternal = await getJson(`${sim.url}/v1/videos/image2video/job-by-external-id`);
    expect(byExternal.json.data?.task_id).toBe(created.json.data?.task_id);

    const listed = await getJson(`${sim.url}/_sim/tasks?external_task_id=job-by-external-id`);
    expect(listed.json).toMatchObject([
      { dialect: 'kling', product: 'image2video', externalTaskId: 'job-by-external-id', callbacksSent: 0 },
    ]);
    expect(sim.tasks()).toHaveLength(1);
  });

  it('answers 404 code 1203 for an unknown task and serves no media before success', async () => {
    const missing = await getJson(`${sim.url}/v1/videos/text2video/123456`);
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe(1203);

    const created = await postJson(`${sim.url}/v1/videos/text2video`, { prompt: 'slow one [sim:latency=5000]' });
    const early = await fetch(`${sim.url}/media/${created.json.data?.task_id}.mp4`);
    expect(early.status).toBe(404);
    await early.body?.cancel();
  });

  it('reset forgets every task', async () => {
    await postJson(`${sim.url}/v1/videos/text2video`, { prompt: 'to be forgotten' });
    expect(sim.tasks()).toHaveLength(1);
    const reset = await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expect(sim.tasks()).toHaveLength(0);
  });
});

describe('simulator mounting', () => {
  it('serves each dialect under /<name> as well (kling also at the root)', async () => {
    const sim = await startSimulator({ latencyMs: 100 });
    try {
      const body = JSON.stringify({ model_name: 'kling-v1', prompt: 'a fox', external_task_id: 'mounted-1' });
      const created = await fetch(`${sim.url}/kling/v1/videos/text2video`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(created.status).toBe(200);
      const taskId = ((await created.json()) as { data: { task_id: string } }).data.task_id;
      const root = await fetch(`${sim.url}/v1/videos/text2video/${taskId}`);
      expect(root.status).toBe(200);
      expect((await fetch(`${sim.url}/nope/v1/videos/text2video/${taskId}`)).status).toBe(404);
    } finally {
      await sim.close();
    }
  });
});

describe('simulator memory', () => {
  it('forgets the oldest ended tasks beyond finishedTasksKept, never one still running', async () => {
    const sim = await startSimulator({ latencyMs: 50, progressSteps: 0, finishedTasksKept: 2 });
    try {
      const create = async (prompt: string) =>
        ((await postJson(`${sim.url}/v1/videos/text2video`, { prompt })).json.data as { task_id: string }).task_id;
      const stuck = await create('never ends [sim:stuck]');
      const ended: string[] = [];
      for (const name of ['one', 'two', 'three']) {
        const taskId = await create(name);
        await pollUntilTerminal(`${sim.url}/v1/videos/text2video/${taskId}`);
        ended.push(taskId);
      }
      await waitFor(() => sim.tasks().length === 3);
      expect(sim.tasks().map((t) => t.taskId)).toEqual([stuck, ...ended.slice(1)]);
      // A forgotten task is an unknown one; the kept ones still serve their video.
      expect((await getJson(`${sim.url}/v1/videos/text2video/${ended[0]}`)).status).toBe(404);
      expect((await fetch(`${sim.url}/media/${ended[2]}.mp4`)).status).toBe(200);
    } finally {
      await sim.close();
    }
  });
});

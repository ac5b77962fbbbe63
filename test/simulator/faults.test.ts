import { describe, expect, it } from 'vitest';
import type { Simulator } from '../../simulator/server.ts';
import { pollUntilTerminal, postJson, useSimulator } from './helpers.ts';

type VideoResult = { task_result: { videos: { url: string }[] } };

describe('simulator (kling dialect): fault directives', () => {
  let sim: Simulator;
  const create = (body: Record<string, unknown>) => postJson(`${sim.url}/v1/videos/text2video`, body);

  useSimulator({ latencyMs: 200, progressSteps: 1 }, (started) => (sim = started));

  it('[sim:1303x2] rejects two attempts with 429/1303, then accepts the third', async () => {
    const body = { prompt: 'a busy fox [sim:1303x2]', external_task_id: 'job-1303' };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const rejected = await create(body);
      expect(rejected.status).toBe(429);
      expect(rejected.json).toMatchObject({ code: 1303, message: 'parallel task over resource pack limit' });
      expect(rejected.json.request_id).toBeTypeOf('string');
      expect(rejected.json.data).toBeUndefined();
    }
    expect(sim.tasks()).toHaveLength(0);
    const accepted = await create(body);
    expect(accepted.status).toBe(200);
    expect(accepted.json.data?.task_info).toEqual({ external_task_id: 'job-1303' });
    expect(sim.tasks()).toHaveLength(1);
    expect(sim.rejections()).toHaveLength(2);
  });

  it('counts attempts by prompt text when there is no external_task_id, and reads multi_prompt', async () => {
    const body = {
      model_name: 'kling-v3',
      multi_shot: true,
      shot_type: 'customize',
      duration: '5',
      multi_prompt: [
        { index: 1, prompt: 'shot one [sim:1302]', duration: '2' },
        { index: 2, prompt: 'shot two', duration: '3' },
      ],
    };
    const rejected = await create(body);
    expect(rejected.status).toBe(429);
    expect(rejected.json.code).toBe(1302);
    expect((await create(body)).status).toBe(200);
  });

  it('[sim:http500] answers a plain 500 that is not JSON, once', async () => {
    const body = { prompt: 'server trouble [sim:http500]' };
    const response = await fetch(`${sim.url}/v1/videos/text2video`, { method: 'POST', body: JSON.stringify(body) });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(() => JSON.parse(text)).toThrow();
    expect((await create(body)).status).toBe(200);
  });

  it('[sim:http503x2] answers 503 twice', async () => {
    const body = { prompt: 'maintenance [sim:http503x2]' };
    expect((await fetch(`${sim.url}/v1/videos/text2video`, { method: 'POST', body: JSON.stringify(body) })).status).toBe(503);
    expect((await fetch(`${sim.url}/v1/videos/text2video`, { method: 'POST', body: JSON.stringify(body) })).status).toBe(503);
    expect((await create(body)).status).toBe(200);
  });

  it('[sim:content-policy] accepts the task, then fails it with a risk-control message', async () => {
    const created = await create({ prompt: 'something forbidden [sim:content-policy]' });
    expect(created.status).toBe(200);
    const { last } = await pollUntilTerminal(`${sim.url}/v1/videos/text2video/${created.json.data?.task_id}`);
    expect(last.code).toBe(0);
    expect(last.data?.task_status).toBe('failed');
    expect(last.data?.task_status_msg).toMatch(/risk control system.*content security policy/);
    expect(last.data?.task_result).toBeUndefined();
  });

  it('[sim:fail=<message>] fails the task with that message', async () => {
    const created = await create({ prompt: 'doomed [sim:fail=GPU caught fire]' });
    const { last } = await pollUntilTerminal(`${sim.url}/v1/videos/text2video/${created.json.data?.task_id}`);
    expect(last.data).toMatchObject({ task_status: 'failed', task_status_msg: 'GPU caught fire' });
  });

  it('[sim:latency=<ms>] overrides the task latency', async () => {
    const slow = await create({ prompt: 'slow [sim:latency=5000]' });
    const quick = await create({ prompt: 'quick [sim:latency=20]' });
    await pollUntilTerminal(`${sim.url}/v1/videos/text2video/${quick.json.data?.task_id}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const tasks = sim.tasks();
    const slowTask = tasks.find((task) => task.taskId === slow.json.data?.task_id);
    expect(slowTask?.latencyMs).toBe(5000);
    expect(['submitted', 'processing']).toContain(slowTask?.status);
    expect(tasks.find((task) => task.taskId === quick.json.data?.task_id)).toMatchObject({ latencyMs: 20, status: 'succeeded' });
  });

  it('[sim:truncated-download] declares the full length but closes after half the bytes', async () => {
    const created = await create({ prompt: 'cut short [sim:truncated-download] [sim:latency=20]' });
    const { last } = await pollUntilTerminal(`${sim.url}/v1/videos/text2video/${created.json.data?.task_id}`);
    const url = (last.data as { task_result: { videos: { url: string }[] } }).task_result.videos[0]!.url;
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(1000);
    await expect(response.arrayBuffer()).rejects.toThrow();
  });

  it('[sim:truncated-downloadx1] and [sim:download-errorx2] hit only the first downloads; the next ones are whole', async () => {
    const fixture = await (async () => {
      const created = await create({ prompt: 'whole [sim:latency=20]' });
      const { last } = await pollUntilTerminal(`${sim.url}/v1/videos/text2video/${created.json.data?.task_id}`);
      return Buffer.from(await (await fetch((last.data as VideoResult).task_result.videos[0]!.url)).arrayBuffer());
    })();
    const truncated = await create({ prompt: 'cut once [sim:truncated-downloadx1] [sim:latency=20]' });
    const first = await pollUntilTerminal(`${sim.url}/v1/videos/text2video/${truncated.json.data?.task_id}`);
    const truncatedUrl = (first.last.data as VideoResult).task_result.videos[0]!.url;
    await expect((await fetch(truncatedUrl)).arrayBuffer()).rejects.toThrow();
    expect(Buffer.from(await (await fetch(truncatedUrl)).arrayBuffer()).equals(fixture)).toBe(true);

    const failing = await create({ prompt: 'fails twice [sim:download-errorx2] [sim:latency=20]' });
    const second = await pollUntilTerminal(`${sim.url}/v1/videos/text2video/${failing.json.data?.task_id}`);
    const failingUrl = (second.last.data as VideoResult).task_result.videos[0]!.url;
    const statuses = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await fetch(failingUrl);
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    expect(statuses).toEqual([500, 500, 200]);
  });

  it('[sim:expired-url] answers 403 on the media URL', async () => {
    const created = await create({ prompt: 'gone [sim:expired-url] [sim:latency=20]' });
    const { last } = await pollUntilTerminal(`${sim.url}/v1/videos/text2video/${created.json.data?.task_id}`);
    const url = (last.data as { task_result: { videos: { url: string }[] } }).task_result.videos[0]!.url;
    const response = await fetch(url);
    expect(response.status).toBe(403);
    await response.body?.cancel();
  });

  it('[sim:stuck] keeps the task processing', async () => {
    const created = await create({ prompt: 'forever [sim:stuck] [sim:latency=20]' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const queried = await fetch(`${sim.url}/v1/videos/text2video/${created.json.data?.task_id}`);
    expect(((await queried.json()) as { data: { task_status: string } }).data.task_status).toBe('processing');
  });

  it('refuses an unknown directive or an unknown Kling code with 400/1201', async () => {
    const unknown = await create({ prompt: 'typo [sim:no-calback]' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.code).toBe(1201);
    expect(unknown.json.message).toContain('[sim:no-calback]');
    const badCode = await create({ prompt: 'bad code [sim:1999x2]' });
    expect(badCode.status).toBe(400);
    expect(badCode.json.message).toContain('1999');
  });
});

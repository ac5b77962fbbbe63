// The simulator across a restart (simulator/journal.ts): started again on the same folder and port, it still knows
// every task, unfinished ones finish when they were due, and fault-directive attempt counts carry on.
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../simulator/server.ts';
import { getJson, pollUntilTerminal, postJson } from './helpers.ts';

describe('simulator restarts (stateDir)', () => {
  it('keeps finished and unfinished tasks, on the same address; an unfinished one finishes when it was due', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'klingflow-sim-'));
    const first = await startSimulator({ stateDir, latencyMs: 100, progressSteps: 1 });
    const done = await postJson(`${first.url}/v1/videos/text2video`, { prompt: 'finished before', external_task_id: 'job_done' });
    await pollUntilTerminal(`${first.url}/v1/videos/text2video/job_done`);
    const slow = await postJson(`${first.url}/v1/videos/text2video`, { prompt: 'slow [sim:latency=1200]', external_task_id: 'job_slow' });
    // Two refused attempts of three, then the third: the count must survive the restart.
    expect(
      (await postJson(`${first.url}/v1/videos/text2video`, { prompt: 'busy [sim:1303x2]', external_task_id: 'job_busy' })).status,
    ).toBe(429);
    const port = first.port;
    await first.close();
    // Let this process's HTTP client see its pooled connections closed (a restarted stack is a new process).
    await new Promise((resolve) => setTimeout(resolve, 100));

    const second = await startSimulator({ stateDir, latencyMs: 100, progressSteps: 1, port });
    try {
      expect(second.url).toBe(first.url);
      expect(second.tasks().map((t) => [t.externalTaskId, t.status])).toEqual([
        ['job_done', 'succeeded'],
        ['job_slow', expect.stringMatching(/^(submitted|processing)$/)],
      ]);
      expect((await getJson(`${second.url}/v1/videos/text2video/job_done`)).json.data?.task_id).toBe(done.json.data?.task_id);
      const { last } = await pollUntilTerminal(`${second.url}/v1/videos/text2video/job_slow`, 5_000);
      expect(last.data?.task_id).toBe(slow.json.data?.task_id);
      const video = (last.data as { task_result: { videos: { url: string }[] } }).task_result.videos[0]!.url;
      expect((await fetch(video)).status).toBe(200);
      expect(
        (await postJson(`${second.url}/v1/videos/text2video`, { prompt: 'busy [sim:1303x2]', external_task_id: 'job_busy' })).status,
      ).toBe(429);
      expect(
        (await postJson(`${second.url}/v1/videos/text2video`, { prompt: 'busy [sim:1303x2]', external_task_id: 'job_busy' })).status,
      ).toBe(200);
      // A new task gets an id of its own, never one of the old ones.
      expect(new Set(second.tasks().map((t) => t.taskId)).size).toBe(3);
    } finally {
      await second.close();
    }
  });

  it('reads past a line torn by a kill in the middle of a write', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'klingflow-sim-'));
    const first = await startSimulator({ stateDir, latencyMs: 50 });
    await postJson(`${first.url}/v1/videos/text2video`, { prompt: 'kept', external_task_id: 'job_kept' });
    await first.close();
    appendFileSync(join(stateDir, 'tasks.jsonl'), '{"kind":"task","task":{"taskId":');
    const second = await startSimulator({ stateDir, latencyMs: 50 });
    try {
      expect(second.tasks().map((t) => t.externalTaskId)).toEqual(['job_kept']);
    } finally {
      await second.close();
    }
  });
});

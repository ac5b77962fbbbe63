// A create whose answer is lost ([sim:lost-response]) and the look-ups that find its task afterwards: Kling by the
// external_task_id (the job id), Replicate by listing predictions. The real adapters against the simulator's dialects.
import { describe, expect, it } from 'vitest';
import { mayHaveCreatedTask, ProviderError } from '../../lambdas/domain/errors.ts';
import type { ResolvedRequest } from '../../lambdas/domain/job.ts';
import type { SubmitRequest } from '../../lambdas/providers/port.ts';
import { loadAdapters } from '../../lambdas/providers/registry.ts';
import { PREDICTIONS_PAGE_SIZE } from '../../simulator/dialects/replicate.ts';
import type { Simulator } from '../../simulator/server.ts';
import { rejectionOf, simulatorContext, submittedMedia, useSimulator } from './helpers.ts';

const getAdapter = await loadAdapters();

function submission(providerId: string, jobId: string, prompt: string): SubmitRequest {
  const capabilities = getAdapter(providerId).capabilities;
  const model = capabilities.models.find((m) => m.id === capabilities.defaultModel)!;
  const request: ResolvedRequest = {
    provider: providerId,
    model: model.id,
    prompt,
    durationSeconds: model.defaultDurationSeconds,
    aspectRatio: model.aspectRatios[0]!,
    quality: model.qualities[0]!,
  };
  return { jobId, mode: 'text-to-video', request, media: submittedMedia(request) };
}

describe('lost answers and look-ups', () => {
  let sim: Simulator;
  useSimulator({ latencyMs: 60_000, progressSteps: 0 }, (started) => (sim = started));
  const context = (providerId: string) => simulatorContext(sim, providerId, { apiKey: 'sim-key' });
  const since = () => new Date(Date.now() - 1000);

  it('[sim:lost-response]: the task exists, the adapter sees a network failure that may have made one', async () => {
    const adapter = getAdapter('kling-ai');
    const lost = await rejectionOf(
      adapter.submit(submission('kling-ai', 'job_lost', 'a lost answer [sim:lost-response]'), context('kling-ai')),
      ProviderError,
    );
    expect(lost.kind).toBe('network');
    expect(mayHaveCreatedTask(lost)).toBe(true);
    expect(sim.tasks()).toHaveLength(1);
    // kling-ai has no way to look tasks up.
    expect(adapter.findSubmitted).toBeUndefined();
  });

  it('kling: finds the task of a lost create by its external_task_id, and nothing for a job that sent none', async () => {
    const adapter = getAdapter('kling');
    const input = submission('kling', 'job_kling_lost', 'a kite [sim:lost-response]');
    await rejectionOf(adapter.submit(input, context('kling')), ProviderError);
    const [task] = sim.tasks();
    expect(await adapter.findSubmitted!(input, since(), context('kling'))).toEqual([{ providerTaskId: `text2video:${task!.taskId}` }]);
    expect(await adapter.findSubmitted!(submission('kling', 'job_never_sent', 'a kite'), since(), context('kling'))).toEqual([]);
  });

  it('replicate: finds the prediction of a lost create by listing, across pages; two identical ones cannot be told apart', async () => {
    const adapter = getAdapter('replicate');
    const input = submission('replicate', 'job_replicate_lost', 'a heron [sim:lost-response]');
    await rejectionOf(adapter.submit(input, context('replicate')), ProviderError);
    const lostId = sim.tasks()[0]!.externalTaskId;
    // Newer predictions push it past the first page of the list.
    for (let i = 0; i < PREDICTIONS_PAGE_SIZE + 3; i += 1)
      await adapter.submit(submission('replicate', `job_other_${i}`, `a crane ${i}`), context('replicate'));
    expect(await adapter.findSubmitted!(input, since(), context('replicate'))).toEqual([{ providerTaskId: lostId }]);
    expect(
      await adapter.findSubmitted!(submission('replicate', 'job_x', 'a heron that was never sent'), since(), context('replicate')),
    ).toEqual([]);
    // Predictions older than the lost submit (less the clock skew allowed) are not read.
    expect(await adapter.findSubmitted!(input, new Date(Date.now() + 3_600_000), context('replicate'))).toEqual([]);

    const twin = submission('replicate', 'job_twin', 'a crane 0');
    expect(await adapter.findSubmitted!(twin, since(), context('replicate'))).toHaveLength(1);
    await adapter.submit(submission('replicate', 'job_twin_2', 'a crane 0'), context('replicate'));
    expect(await adapter.findSubmitted!(twin, since(), context('replicate'))).toHaveLength(2);
  });
});

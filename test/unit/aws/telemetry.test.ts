// Metrics and trace correlation of the handlers (lambdas/aws/metrics.ts, task-handler.ts, runtime/providers.ts): EMF
// lines as CloudWatch reads them, the job and provider on every data point, the X-Ray trace id on a job's log lines
// (traces come from Lambda's active tracing; docs/architecture.md, Tracing), provider errors counted.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ProviderError } from '../../../lambdas/domain/errors.ts';
import { readEmfLine } from '../../../lambdas/domain/metrics.ts';
import { withInvocation, noteProvider } from '../../../lambdas/aws/invocation.ts';
import { emfLineOf, emitJobMetric, setMetricsSink } from '../../../lambdas/aws/metrics.ts';
import { countingProviderErrors } from '../../../lambdas/aws/runtime/providers.ts';
import { logger } from '../../../lambdas/aws/logger.ts';
import { taskHandler } from '../../../lambdas/aws/task-handler.ts';
import type { ProviderAdapter } from '../../../lambdas/providers/port.ts';

const captured = () => {
  const lines: string[] = [];
  setMetricsSink((line) => lines.push(line));
  return lines;
};

afterEach(() => {
  setMetricsSink(undefined);
  vi.restoreAllMocks();
});

describe('EMF lines', () => {
  it('namespace klingflow, the catalogue unit, dimensions service plus the metric own, the job id as a property', () => {
    const emf = JSON.parse(
      emfLineOf({ name: 'ProviderErrors', value: 1, dimensions: { provider: 'kling', kind: 'auth', status: 'ignored' }, jobId: 'job_1' }),
    );
    expect(emf._aws.CloudWatchMetrics).toEqual([
      { Namespace: 'klingflow', Dimensions: [['service', 'provider', 'kind']], Metrics: [{ Name: 'ProviderErrors', Unit: 'Count' }] },
    ]);
    expect(emf).toMatchObject({ service: 'klingflow', provider: 'kling', kind: 'auth', jobId: 'job_1', ProviderErrors: 1 });
    expect(emf.status).toBeUndefined();
    expect(typeof emf._aws.Timestamp).toBe('number');
  });

  it('a job metric carries the invocation job and provider; unknown before the provider is known', () => {
    const lines = captured();
    withInvocation({ jobId: 'job_2' }, () => {
      emitJobMetric('SubmitRetries', 1);
      noteProvider('fal');
      emitJobMetric('SubmitSeconds', 1.5);
    });
    const points = lines.flatMap(readEmfLine);
    expect(points.map((p) => [p.name, p.dimensions.provider, p.properties.jobId, p.values[0], p.unit])).toEqual([
      ['SubmitRetries', 'unknown', 'job_2', 1, 'Count'],
      ['SubmitSeconds', 'fal', 'job_2', 1.5, 'Seconds'],
    ]);
  });

  it('emitting never throws: a failing sink drops the point', () => {
    setMetricsSink(() => {
      throw new Error('disk full');
    });
    expect(() => emitJobMetric('Polls', 1)).not.toThrow();
  });
});

describe('a trace found from a job (Lambda active tracing, no tracing SDK in the bundle)', () => {
  it("a task handler's log lines carry the job id and the invocation's X-Ray trace id, so a job's logs lead to its traces", async () => {
    // Powertools writes through its own Console (its `console` field), as in Lambda.
    const warn = vi.spyOn((logger as unknown as { console: Console }).console, 'warn').mockImplementation(() => undefined);
    const traceId = '1-67891233-abcdef012345678912345678';
    vi.stubEnv('_X_AMZN_TRACE_ID', `Root=${traceId};Parent=53995c3f42cd8ad8;Sampled=1`);
    const failure = new Error('provider down');
    const handler = taskHandler('poll-status', z.object({ jobId: z.string() }), async () => Promise.reject(failure));
    await expect(handler({ jobId: 'job_7' })).rejects.toBe(failure);
    vi.unstubAllEnvs();
    const line = warn.mock.calls.map(([text]) => JSON.parse(String(text))).find((entry) => entry.message === 'poll-status failed');
    expect(line).toMatchObject({ jobId: 'job_7', xray_trace_id: traceId, errorName: 'Error', error: 'provider down' });
  });
});

describe('provider errors', () => {
  it('each ProviderError an adapter call throws is counted by provider and kind, and thrown on unchanged', async () => {
    const lines = captured();
    const refusal = new ProviderError('insufficient_credits', 'no credits left');
    const adapter = {
      id: 'kling',
      submit: async () => {
        throw refusal;
      },
      status: async () => {
        throw new Error('not a provider error');
      },
    } as unknown as ProviderAdapter;
    const counting = countingProviderErrors(adapter, 'kling');
    await withInvocation({ jobId: 'job_5' }, async () => {
      await expect(counting.submit({} as never, {} as never)).rejects.toBe(refusal);
      await expect(counting.status('t', {} as never)).rejects.toThrow('not a provider error');
    });
    expect(counting.id).toBe('kling');
    expect(lines.flatMap(readEmfLine).map((p) => [p.name, p.dimensions, p.properties.jobId])).toEqual([
      ['ProviderErrors', { service: 'klingflow', provider: 'kling', kind: 'insufficient_credits' }, 'job_5'],
    ]);
  });
});

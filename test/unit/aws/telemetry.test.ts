// Metrics and tracing of the handlers (lambdas/aws/metrics.ts, tracing.ts, task-handler.ts, runtime.ts): EMF lines as
// CloudWatch reads them, the job and provider on every data point, trace annotations made with tracing off (as on
// the local stack: nothing breaks), provider HTTP calls in their own annotated subsegment, provider errors counted.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ProviderError } from '../../../lambdas/domain/errors.ts';
import { readEmfLine } from '../../../lambdas/domain/metrics.ts';
import { withInvocation, noteProvider } from '../../../lambdas/aws/invocation.ts';
import { emfLineOf, emitJobMetric, setMetricsSink } from '../../../lambdas/aws/metrics.ts';
import { countingProviderErrors } from '../../../lambdas/aws/runtime/providers.ts';
import { taskHandler } from '../../../lambdas/aws/task-handler.ts';
import { inSubsegment, tracedProviderFetch, tracer } from '../../../lambdas/aws/tracing.ts';
import type { Tracer } from '@aws-lambda-powertools/tracer';
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

describe('tracing (off, as on the local stack)', () => {
  it('is off outside Lambda, and a task handler still runs, annotated with its job id', async () => {
    expect(tracer.isTracingEnabled()).toBe(false);
    const annotations = vi.spyOn(tracer, 'putAnnotation');
    const handler = taskHandler('submit', z.object({ jobId: z.string() }), async ({ jobId }) => `done ${jobId}`);
    await expect(handler({ jobId: 'job_3' })).resolves.toBe('done job_3');
    expect(annotations).toHaveBeenCalledWith('jobId', 'job_3');
  });

  it('a provider HTTP call is annotated with its provider and job, and answers as the fetch did', async () => {
    const annotations = vi.spyOn(tracer, 'putAnnotation');
    const fetch = vi.fn(async () => new Response('{}', { status: 201 }));
    const traced = tracedProviderFetch(fetch as unknown as typeof globalThis.fetch, 'replicate', 'job_4');
    expect((await traced('https://api.example/v1/predictions', { method: 'POST' })).status).toBe(201);
    expect(fetch).toHaveBeenCalledWith('https://api.example/v1/predictions', { method: 'POST' });
    expect(annotations.mock.calls).toEqual([
      ['jobId', 'job_4'],
      ['provider', 'replicate'],
    ]);
  });
});

/** A tracer with tracing on, recording segments as X-Ray would: annotations land on the current (sub)segment. */
function recordingTracer() {
  type FakeSegment = { name: string; annotations: Record<string, unknown>; closed: boolean; errors: unknown[]; children: FakeSegment[] };
  const segment = (name: string): FakeSegment & { addNewSubsegment(n: string): FakeSegment } => {
    const made: FakeSegment & { addNewSubsegment(n: string): FakeSegment; close(): void } = {
      name,
      annotations: {},
      closed: false,
      errors: [],
      children: [],
      addNewSubsegment(n: string) {
        const child = segment(n);
        made.children.push(child);
        return child;
      },
      close() {
        made.closed = true;
      },
    };
    return made;
  };
  const root = segment('facade');
  let current: FakeSegment = root;
  const fake = {
    isTracingEnabled: () => true,
    getSegment: () => current,
    setSegment: (s: FakeSegment) => {
      current = s;
    },
    putAnnotation: (key: string, value: unknown) => {
      current.annotations[key] = value;
    },
    addErrorAsMetadata: (error: unknown) => current.errors.push(error),
  };
  return { tracer: fake as unknown as Tracer, root, current: () => current };
}

describe('tracing (on, as in Lambda)', () => {
  it('runs the work in a subsegment annotated with job and provider, closes it and restores the parent', async () => {
    const { tracer: on, root, current } = recordingTracer();
    const fetch = vi.fn(async () => new Response('{}'));
    await inSubsegment(
      '## submit',
      { jobId: 'job_6' },
      () => tracedProviderFetch(fetch as never, 'fal', undefined, on)('https://x.example/'),
      on,
    );
    expect(current()).toBe(root);
    const [handler] = root.children;
    expect(handler).toMatchObject({ name: '## submit', annotations: { jobId: 'job_6' }, closed: true });
    expect(handler!.children).toEqual([expect.objectContaining({ name: 'provider fal', annotations: { provider: 'fal' }, closed: true })]);
  });

  it('records an error on the subsegment and throws it on', async () => {
    const { tracer: on, root } = recordingTracer();
    const failure = new Error('provider down');
    await expect(
      inSubsegment('## poll-status', { jobId: 'job_7', provider: 'kling' }, async () => Promise.reject(failure), on),
    ).rejects.toBe(failure);
    expect(root.children[0]).toMatchObject({ annotations: { jobId: 'job_7', provider: 'kling' }, errors: [failure], closed: true });
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

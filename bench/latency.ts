// Completion → notice: from the moment the provider finished a job (the simulator's task reaches its terminal
// status) to the moment its SNS notice is published, for a callback provider (kling) and a polled one
// (kling-v3-rest), all jobs in flight at once, at the deployed wait (a safety poll after 60 s without a callback)
// unless told otherwise. Generation times are spread evenly over [minSeconds, maxSeconds] so completions do not
// line up with the workflow's rounds.
import { quantileSorted } from 'simple-statistics';
import { startBenchStack } from './stack.ts';

export interface LagFigure {
  jobs: number;
  p50Seconds: number;
  p95Seconds: number;
}

export interface LatencyResult {
  inFlight: number;
  awaitSeconds: number;
  generationSeconds: [number, number];
  callback: LagFigure;
  polled: LagFigure;
}

const figure = (lagsMs: number[]): LagFigure => {
  const sorted = [...lagsMs].sort((a, b) => a - b);
  return {
    jobs: sorted.length,
    p50Seconds: Math.round(quantileSorted(sorted, 0.5)) / 1000,
    p95Seconds: Math.round(quantileSorted(sorted, 0.95)) / 1000,
  };
};

export async function completionToNotice(options: {
  jobsPerKind: number;
  awaitSeconds: number;
  minSeconds: number;
  maxSeconds: number;
}): Promise<LatencyResult> {
  const stack = await startBenchStack({ KLINGFLOW_AWAIT_SECONDS: options.awaitSeconds, KLINGFLOW_MAX_POLLS: 120 });
  try {
    const { jobsPerKind: n, minSeconds, maxSeconds } = options;
    const kinds = [
      { kind: 'callback', provider: 'kling' },
      { kind: 'polled', provider: 'kling-v3-rest' },
    ] as const;
    const jobs = await Promise.all(
      kinds.flatMap(({ kind, provider }) =>
        Array.from({ length: n }, async (_, i) => {
          const latency = Math.round((minSeconds + ((maxSeconds - minSeconds) * i) / Math.max(1, n - 1)) * 1000);
          const prompt = `bench lag ${kind} #${i} [sim:latency=${latency}]`;
          const created = await stack.post('/v1/jobs', { provider, prompt });
          if (created.status !== 202) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
          return { kind, prompt, jobId: created.body.jobId as string };
        }),
      ),
    );
    await stack.noticed(
      jobs.map((j) => j.jobId),
      (maxSeconds + 2 * options.awaitSeconds) * 1000 + 120_000,
    );
    const finished = new Map((stack.simulator?.tasks() ?? []).map((task) => [task.prompt, task.updatedAt]));
    const lags = (kind: string) =>
      jobs
        .filter((j) => j.kind === kind)
        .map((j) => (stack.notices.get(j.jobId) ?? Number.NaN) - (finished.get(j.prompt) ?? Number.NaN))
        .filter((lag) => Number.isFinite(lag));
    return {
      inFlight: jobs.length,
      awaitSeconds: options.awaitSeconds,
      generationSeconds: [minSeconds, maxSeconds],
      callback: figure(lags('callback')),
      polled: figure(lags('polled')),
    };
  } finally {
    await stack.close();
  }
}

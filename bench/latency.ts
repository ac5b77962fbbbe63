// Completion → notice: from the moment the provider finished a job (the simulator's task reaches its terminal
// status) to the moment its SNS notice is published, for a callback provider (kling) and a polled one
// (kling-v3-rest), all jobs in flight at once. Generation times (provider seconds) are spread evenly over
// [minSeconds, maxSeconds] so completions do not line up with the workflow's checks. The wait schedule runs at
// `timeScale` (workflow seconds per provider second): at 1, as deployed, real time is provider time and the figures
// are in provider seconds as measured; below 1 (the quick run) they are real seconds of a faster world, scaled back
// to provider seconds.
import { quantileSorted } from 'simple-statistics';
import { startBenchStack } from './stack.ts';

export interface LagFigure {
  jobs: number;
  p50Seconds: number;
  p95Seconds: number;
}

export interface LatencyResult {
  inFlight: number;
  /** Workflow seconds per provider second (1: as deployed). */
  timeScale: number;
  generationSeconds: [number, number];
  callback: LagFigure;
  polled: LagFigure;
}

const figure = (lagsMs: number[], timeScale: number): LagFigure => {
  const sorted = [...lagsMs].map((ms) => ms / timeScale).sort((a, b) => a - b);
  return {
    jobs: sorted.length,
    p50Seconds: Math.round(quantileSorted(sorted, 0.5)) / 1000,
    p95Seconds: Math.round(quantileSorted(sorted, 0.95)) / 1000,
  };
};

export async function completionToNotice(options: {
  jobsPerKind: number;
  timeScale: number;
  minSeconds: number;
  maxSeconds: number;
}): Promise<LatencyResult> {
  const { jobsPerKind: n, minSeconds, maxSeconds, timeScale } = options;
  const stack = await startBenchStack({ KLINGFLOW_WAIT_TIME_SCALE: timeScale, KLINGFLOW_MAX_POLLS: 120 });
  try {
    const kinds = [
      { kind: 'callback', provider: 'kling' },
      { kind: 'polled', provider: 'kling-v3-rest' },
    ] as const;
    const jobs = await Promise.all(
      kinds.flatMap(({ kind, provider }) =>
        Array.from({ length: n }, async (_, i) => {
          const latency = Math.round((minSeconds + ((maxSeconds - minSeconds) * i) / Math.max(1, n - 1)) * 1000 * timeScale);
          const prompt = `bench lag ${kind} #${i} [sim:latency=${latency}]`;
          const created = await stack.post('/v1/jobs', { provider, prompt });
          if (created.status !== 202) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
          return { kind, prompt, jobId: created.body.jobId as string };
        }),
      ),
    );
    await stack.noticed(
      jobs.map((j) => j.jobId),
      maxSeconds * 1.5 * timeScale * 1000 + 120_000,
    );
    const finished = new Map((stack.simulator?.tasks() ?? []).map((task) => [task.prompt, task.updatedAt]));
    const lags = (kind: string) =>
      jobs
        .filter((j) => j.kind === kind)
        .map((j) => (stack.notices.get(j.jobId) ?? Number.NaN) - (finished.get(j.prompt) ?? Number.NaN))
        .filter((lag) => Number.isFinite(lag));
    return {
      inFlight: jobs.length,
      timeScale,
      generationSeconds: [minSeconds, maxSeconds],
      callback: figure(lags('callback'), timeScale),
      polled: figure(lags('polled'), timeScale),
    };
  } finally {
    await stack.close();
  }
}

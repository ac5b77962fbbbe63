// Cost per job: state transitions, Lambda invocations and AWS dollars for a callback job and a polled job of 90 s
// and 300 s of provider time, run on the local stack at a time scale (the provider's latency and the workflow's
// wait both divided by `scale`; figures are in provider time). Beside them, two reference workflows re-created
// here and run by the same interpreter (aws-local-stepfunctions) on jobs of the same length: a fixed 10 s poll
// loop and a fixed 3-minute wait loop (Submit, then Wait ⇄ Poll until done, then Archive, Complete, Notify).
import { StateMachine } from 'aws-local-stepfunctions';
import { median } from 'simple-statistics';
import { gbSeconds, type Invocation, invocations, meterLambdas, PRICES } from './meter.ts';
import { startBenchStack } from './stack.ts';

export interface JobCost {
  workflow: string;
  providerSeconds: number;
  transitions: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  usd: number;
  /** References only: completion → notice in provider seconds, from the loop's timing (klingflow's is measured at
   * real time in the latency figure, as a time scale would magnify its processing time). */
  noticeLagSeconds?: number;
}

const usd = (transitions: number, requests: number, gbs: number) =>
  transitions * PRICES.transition + requests * PRICES.request + gbs * PRICES.gbSecond;

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The median local duration of each handler seen so far, ms (what the reference workflows are billed at). */
function handlerMedians(): Record<string, number> {
  const by = new Map<string, number[]>();
  for (const { handler, ms } of invocations) by.set(handler, [...(by.get(handler) ?? []), ms]);
  return Object.fromEntries([...by].map(([handler, samples]) => [handler, median(samples)]));
}

async function klingflowJobs(scale: number, seconds: readonly number[], perCell: number): Promise<JobCost[]> {
  meterLambdas();
  const stack = await startBenchStack({
    // The wait schedule runs at the same scale as the simulated generation.
    KLINGFLOW_WAIT_TIME_SCALE: 1 / scale,
    KLINGFLOW_MAX_POLLS: 120,
  });
  try {
    const cells = (['callback', 'polled'] as const).flatMap((kind) => seconds.map((s) => ({ kind, seconds: s })));
    const jobs = await Promise.all(
      cells.flatMap((cell) =>
        Array.from({ length: perCell }, async (_, i) => {
          const provider = cell.kind === 'callback' ? 'kling' : 'kling-v3-rest';
          const latency = Math.round((cell.seconds * 1000) / scale);
          const created = await stack.post('/v1/jobs', {
            provider,
            prompt: `bench cost ${cell.kind} ${cell.seconds}s #${i} [sim:latency=${latency}]`,
          });
          if (created.status !== 202) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
          return { ...cell, jobId: created.body.jobId as string };
        }),
      ),
    );
    const createMs = median(invocations.filter((i) => i.handler === 'api').map((i) => i.ms));
    await stack.noticed(
      jobs.map((j) => j.jobId),
      (Math.max(...seconds) * 1000) / scale + 120_000,
    );
    // Let the executions record their last events.
    await new Promise((r) => setTimeout(r, 500));
    const rows = jobs.map((job) => {
      const events = stack.runtime.list().find((e) => e.name === job.jobId)?.events ?? [];
      const transitions = events.filter((e) => e.type === 'StateEntered' || e.type === 'StateRetried').length;
      const own = invocations.filter((i) => i.jobId === job.jobId);
      // PollStatus polls a task near its end itself, sleeping between polls in the stack's scaled time: its duration
      // is billed in provider time (× `scale`, the stack running `scale` times faster), which errs high: its own work
      // is scaled up too.
      const billedMs = (i: Invocation) => (i.handler === 'poll-status' ? i.ms * scale : i.ms);
      const gbs = own.reduce((sum, i) => sum + gbSeconds(i.handler, billedMs(i)), gbSeconds('api', createMs));
      return {
        workflow: `klingflow, ${job.kind}`,
        providerSeconds: job.seconds,
        transitions,
        lambdaInvocations: own.length + 1,
        lambdaGbSeconds: gbs,
        usd: usd(transitions, own.length + 1, gbs),
      };
    });
    // One row per cell: the median job of the cell.
    return cells.map((cell) => {
      const of = rows.filter((r) => r.workflow === `klingflow, ${cell.kind}` && r.providerSeconds === cell.seconds);
      const pick = (f: (r: (typeof of)[number]) => number) => median(of.map(f));
      return {
        workflow: `klingflow, ${cell.kind}`,
        providerSeconds: cell.seconds,
        transitions: pick((r) => r.transitions),
        lambdaInvocations: pick((r) => r.lambdaInvocations),
        lambdaGbSeconds: round(
          pick((r) => r.lambdaGbSeconds),
          4,
        ),
        usd: round(
          pick((r) => r.usd),
          7,
        ),
      };
    });
  } finally {
    await stack.close();
  }
}

const LAMBDA = 'arn:aws:lambda:us-east-1:000000000000:function:';

/** A fixed-interval poll loop, as the seed's loop and the 3-minute loop are written for Step Functions. */
function loopDefinition(intervalSeconds: number) {
  const task = (name: string, next: string | undefined) => ({
    Type: 'Task',
    Resource: `${LAMBDA}${name}`,
    ResultPath: `$.${name.replace('-', '')}`,
    ...(next ? { Next: next } : { End: true }),
  });
  return {
    StartAt: 'Submit',
    States: {
      Submit: task('submit', 'WaitRound'),
      WaitRound: { Type: 'Wait', Seconds: intervalSeconds, Next: 'PollStatus' },
      PollStatus: task('poll-status', 'IsDone'),
      IsDone: {
        Type: 'Choice',
        Choices: [{ Variable: '$.pollstatus.done', BooleanEquals: true, Next: 'Archive' }],
        Default: 'WaitRound',
      },
      Archive: task('archive', 'Complete'),
      Complete: task('complete', 'Notify'),
      Notify: task('notify', undefined),
    },
  };
}

async function referenceJob(
  intervalSeconds: number,
  providerSeconds: number,
  scale: number,
  medians: Record<string, number>,
): Promise<JobCost> {
  const machine = new StateMachine(loopDefinition(intervalSeconds) as never, { validationOptions: { checkArn: false } });
  let submittedAt = 0;
  let notifiedAt = 0;
  const done = () => performance.now() - submittedAt >= (providerSeconds * 1000) / scale;
  const handlers = {
    Submit: async () => {
      submittedAt = performance.now();
      return {};
    },
    PollStatus: async () => ({ done: done() }),
    Archive: async () => ({}),
    Complete: async () => ({}),
    Notify: async () => {
      notifiedAt = performance.now();
      return {};
    },
  };
  const run = machine.run(
    {},
    { overrides: { taskResourceLocalHandlers: handlers as never, waitTimeOverrides: { WaitRound: (intervalSeconds * 1000) / scale } } },
  );
  let transitions = 0;
  const tasks: string[] = [];
  for await (const event of run.eventLogs as AsyncIterable<{ type: string; state?: { name: string; type: string } }>) {
    if (event.type === 'StateEntered' || event.type === 'StateRetried') transitions += 1;
    if (event.type === 'StateEntered' && event.state?.type === 'Task') tasks.push(event.state.name);
  }
  await run.result;
  const handlerOf: Record<string, string> = {
    Submit: 'submit',
    PollStatus: 'poll-status',
    Archive: 'archive',
    Complete: 'complete',
    Notify: 'notify',
  };
  // One create (api) as for klingflow's jobs, then every Task state entered, at the median durations measured above.
  const billed = ['api', ...tasks.map((t) => handlerOf[t] ?? t)];
  const gbs = billed.reduce((sum, handler) => sum + gbSeconds(handler, medians[handler] ?? 100), 0);
  const lag = ((notifiedAt - submittedAt) / 1000) * scale - providerSeconds;
  return {
    workflow:
      intervalSeconds < 60
        ? `reference: fixed ${intervalSeconds} s poll loop`
        : `reference: fixed ${intervalSeconds / 60}-minute wait loop`,
    providerSeconds,
    transitions,
    lambdaInvocations: billed.length,
    lambdaGbSeconds: round(gbs, 4),
    usd: round(usd(transitions, billed.length, gbs), 7),
    noticeLagSeconds: round(Math.max(0, lag), 1),
  };
}

export async function costPerJob(options: { scale: number; perCell: number }): Promise<{ scale: number; rows: JobCost[] }> {
  const seconds = [90, 300] as const;
  const rows = await klingflowJobs(options.scale, seconds, options.perCell);
  const medians = handlerMedians();
  for (const interval of [10, 180]) {
    for (const s of seconds) rows.push(await referenceJob(interval, s, options.scale, medians));
  }
  return { scale: options.scale, rows };
}

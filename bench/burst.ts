// Burst: many jobs at once on one provider, as a queue of users would send them. The provider's slot limit is the
// simulator's to enforce (the reliability work adds it, read from KLINGFLOW_<ID>_MAX_CONCURRENCY); until then this
// reports what the provider saw: how many tasks it ran at once, the 1303/429 rejections, and the makespan beside
// ⌈jobs/slots⌉ × generation time, what a provider with that many slots needs at best.
import { startBenchStack } from './stack.ts';

export interface BurstResult {
  jobs: number;
  slots: number;
  /** Whether the simulator enforced the slots on this run. */
  slotsEnforced: boolean;
  generationSeconds: number;
  providerMaxInFlight: number;
  rejections: number;
  makespanSeconds: number;
  idealMakespanSeconds: number;
}

/** The most tasks whose [created, finished] intervals overlap. */
function maxOverlap(intervals: [number, number][]): number {
  const edges = intervals.flatMap(([start, end]) => [
    [start, 1],
    [end, -1],
  ]);
  edges.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0));
  let now = 0;
  let most = 0;
  for (const [, step] of edges) {
    now += step ?? 0;
    most = Math.max(most, now);
  }
  return most;
}

export async function burst(options: { jobs: number; slots: number; generationSeconds: number }): Promise<BurstResult> {
  const provider = 'kling';
  const slotSetting = `KLINGFLOW_${provider.toUpperCase()}_MAX_CONCURRENCY`;
  const previous = process.env[slotSetting];
  process.env[slotSetting] = String(options.slots);
  const stack = await startBenchStack({ KLINGFLOW_MAX_POLLS: 120 });
  try {
    const started = Date.now();
    const latency = Math.round(options.generationSeconds * 1000);
    const ids = await Promise.all(
      Array.from({ length: options.jobs }, async (_, i) => {
        const created = await stack.post('/v1/jobs', { provider, prompt: `bench burst #${i} [sim:latency=${latency}]` });
        if (created.status !== 202) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
        return created.body.jobId as string;
      }),
    );
    const ideal = Math.ceil(options.jobs / options.slots) * options.generationSeconds;
    await stack.noticed(ids, ideal * 3000 + 300_000);
    const makespan = (Math.max(...ids.map((id) => stack.notices.get(id) ?? 0)) - started) / 1000;
    const tasks = (stack.simulator?.tasks() ?? []).filter((t) => t.prompt?.startsWith('bench burst'));
    const inFlight = maxOverlap(tasks.map((t) => [t.createdAt, t.updatedAt] as [number, number]));
    const rejections = (stack.simulator?.rejections() ?? []).length;
    return {
      jobs: options.jobs,
      slots: options.slots,
      slotsEnforced: inFlight <= options.slots,
      generationSeconds: options.generationSeconds,
      providerMaxInFlight: inFlight,
      rejections,
      makespanSeconds: Math.round(makespan * 10) / 10,
      idealMakespanSeconds: ideal,
    };
  } finally {
    await stack.close();
    if (previous === undefined) delete process.env[slotSetting];
    else process.env[slotSetting] = previous;
  }
}

// `npm run test:faults [-- --scenario mixed|slots|crash|all] [--jobs N] [--latency ms] [--kills N] [--uploads N]
// [--slots N] [--deadline s]`: the fault runs of scripts/faults/run.ts through the real local stack, on loopback, and
// their figures printed. The exit code is 1 when a job was lost, stuck, paid twice, or not told exactly once (timings
// are printed, never judged).
import { formatReport, runFaults, type FaultRunOptions } from './faults/run.ts';

const DEFAULTS: Record<FaultRunOptions['scenario'], Omit<FaultRunOptions, 'scenario' | 'log'>> = {
  // Every fault on every dialect: 72 jobs on each of the 7 dialects and 4 uploads (508 jobs), twice kill -9.
  mixed: { jobs: 72, uploads: 4, latencyMs: 3000, kills: 2, klingSlots: 4, deadlineMs: 15 * 60_000 },
  // 200 jobs at once on a 3-slot Kling account (issue 12: ≤ 3 in flight, no refusal, makespan vs ⌈200/3⌉ × latency).
  slots: { jobs: 200, uploads: 0, latencyMs: 5000, kills: 0, klingSlots: 3, deadlineMs: 20 * 60_000 },
  // kill -9 with 20 jobs in flight, then a restart: all of them end, one task and one notice each.
  crash: { jobs: 20, uploads: 0, latencyMs: 8000, kills: 1, klingSlots: 10, deadlineMs: 6 * 60_000 },
};

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const number = (name: string): number | undefined => (arg(name) === undefined ? undefined : Number(arg(name)));
const chosen = arg('scenario') ?? 'all';
const scenarios = (chosen === 'all' ? ['crash', 'mixed', 'slots'] : [chosen]) as FaultRunOptions['scenario'][];

let failed = false;
for (const scenario of scenarios) {
  const defaults = DEFAULTS[scenario];
  if (!defaults) throw new Error(`unknown scenario ${scenario}: mixed, slots, crash or all`);
  const options: FaultRunOptions = {
    scenario,
    ...defaults,
    jobs: number('jobs') ?? defaults.jobs,
    uploads: number('uploads') ?? defaults.uploads,
    latencyMs: number('latency') ?? defaults.latencyMs,
    kills: number('kills') ?? defaults.kills,
    klingSlots: number('slots') ?? defaults.klingSlots,
    deadlineMs: (number('deadline') ?? defaults.deadlineMs / 1000) * 1000,
    log: (line) => process.stdout.write(`${line}\n`),
  };
  process.stdout.write(`\n${scenario}: starting\n`);
  const report = await runFaults(options);
  process.stdout.write(`${formatReport(report).join('\n')}\n`);
  if (
    report.lost ||
    report.stuck ||
    report.duplicateProviderTasks ||
    report.withoutNotice ||
    report.noticeRepeated ||
    report.withoutOneWebhook ||
    report.archiveMismatches ||
    report.notAccepted
  ) {
    failed = true;
  }
}
process.exit(failed ? 1 : 0);

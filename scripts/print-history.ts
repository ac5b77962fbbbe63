// Prints the Step Functions history of callback-path jobs and of polled jobs whose generation takes 90 s and 300 s of
// provider time, run end to end on an embedded local stack, and their numbers of state transitions (what Standard
// workflows bill: each state entered, Choice, Pass, Wait, Succeed and Fail included, and each retry).
// Usage: npm run history [-- "<prompt>"]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetExecutionHistoryCommand, type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { executionArnOf } from '../lambdas/aws/step-functions.ts';
import { LOCAL_NAMES, startLocalStack } from '../local/stack.ts';

const prompt = process.argv[2] ?? 'a red fox running through snow';
// The wait schedule runs at 1/30 of provider time (the local default): 90 s of generation take 3 s.
const timeScale = 1 / 30;
const generations = [90, 300];
const dataDir = mkdtempSync(join(tmpdir(), 'klingflow-history-'));
const stack = await startLocalStack({
  log: () => undefined,
  settings: {
    KLINGFLOW_DATA_DIR: dataDir,
    KLINGFLOW_PORT: 0,
    KLINGFLOW_WAIT_TIME_SCALE: timeScale,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  },
});

/** Runs one job on `provider` to its end and prints its execution history and its number of state transitions. */
async function runJob(label: string, provider: string, generationSeconds: number): Promise<string> {
  const headers = { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' };
  const latencyMs = Math.round(generationSeconds * timeScale * 1000);
  const body = JSON.stringify({ prompt: `${prompt} [sim:latency=${latencyMs}]`, provider });
  const created = (await (await fetch(`${stack.url}/v1/jobs`, { method: 'POST', headers, body })).json()) as { jobId: string };
  let status = 'QUEUED';
  while (!['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(status)) {
    await new Promise((r) => setTimeout(r, 250));
    status = ((await (await fetch(`${stack.url}/v1/jobs/${created.jobId}`, { headers })).json()) as { status: string }).status;
  }
  // The job's final write comes before its notice and webhook: read the history once the execution has ended.
  const executionArn = executionArnOf(LOCAL_NAMES.stateMachineArn, created.jobId);
  const ended = (type: unknown) => /^Execution(Succeeded|Failed|TimedOut|Aborted)$/.test(String(type));
  let events: HistoryEvent[] = [];
  for (let tries = 0; tries < 300; tries += 1) {
    events = (await new SFNClient({}).send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [];
    if (ended(events.at(-1)?.type)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const start = events[0]?.timestamp?.getTime() ?? 0;
  const lines = [
    `Execution history of ${label} job ${created.jobId} on ${provider} (${status}), generation ${generationSeconds} s ` +
      `of provider time (${latencyMs / 1000} s at 1/${Math.round(1 / timeScale)}):`,
  ];
  for (const event of events) {
    const ms = (event.timestamp?.getTime() ?? start) - start;
    const state = event.stateEnteredEventDetails?.name ?? '';
    lines.push(`  ${String(event.id).padStart(3)}  +${String(ms).padStart(6)} ms  ${event.type?.padEnd(18)} ${state}`);
  }
  const entered = events.filter((e) => String(e.type).endsWith('StateEntered')).length;
  const retried = events.filter((e) => String(e.type) === 'StateRetried').length;
  lines.push(`\nState transitions: ${entered + retried} (${entered} states entered, ${retried} retries) in ${events.length} events.\n`);
  summary.push(`${label.padEnd(12)} ${provider.padEnd(14)} ${String(generationSeconds).padStart(4)} s: ${entered + retried} transitions`);
  return lines.join('\n');
}

const summary: string[] = [];
try {
  // kling calls back; kling-v3-rest has no callbacks and is polled.
  const outputs = await Promise.all(
    generations.flatMap((seconds) => [runJob('a callback', 'kling', seconds), runJob('a polled', 'kling-v3-rest', seconds)]),
  );
  console.log(outputs.join('\n'));
  console.log(['State transitions per job:', ...summary.sort()].join('\n  '));
} finally {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

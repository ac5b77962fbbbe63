// Prints the Step Functions history of a callback-path job and of a polled job, run end to end on an embedded local
// stack, and their numbers of state transitions (what Standard workflows bill: each state entered, each retry).
// Usage: npm run history [-- "<prompt>"]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { executionArnOf } from '../lambdas/aws/step-functions.ts';
import { LOCAL_NAMES, startLocalStack } from '../local/stack.ts';

const prompt = process.argv[2] ?? 'a red fox running through snow';
// Each simulated generation takes 30 s, three of the local stack's old 10 s rounds (KLINGFLOW_AWAIT_SECONDS). The wait
// schedule runs at a time scale that makes 30 s the seed's 90 s for a 5 s 720p clip (1/3).
const latencyMs = 30_000;
const dataDir = mkdtempSync(join(tmpdir(), 'klingflow-history-'));
const stack = await startLocalStack({
  log: () => undefined,
  settings: {
    KLINGFLOW_DATA_DIR: dataDir,
    KLINGFLOW_PORT: 0,
    KLINGFLOW_SIMULATOR_LATENCY_MS: latencyMs,
    KLINGFLOW_WAIT_TIME_SCALE: latencyMs / 1000 / 90,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  },
});

/** Runs one job on `provider` to its end and prints its execution history and its number of state transitions. */
async function runJob(label: string, provider: string): Promise<string> {
  const headers = { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' };
  const created = (await (
    await fetch(`${stack.url}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify({ prompt, provider }) })
  ).json()) as { jobId: string };
  let status = 'QUEUED';
  while (!['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(status)) {
    await new Promise((r) => setTimeout(r, 250));
    status = ((await (await fetch(`${stack.url}/v1/jobs/${created.jobId}`, { headers })).json()) as { status: string }).status;
  }
  // Give the execution a moment to record its last events after the job's final write.
  await new Promise((r) => setTimeout(r, 300));

  const { events = [] } = await new SFNClient({}).send(
    new GetExecutionHistoryCommand({ executionArn: executionArnOf(LOCAL_NAMES.stateMachineArn, created.jobId) }),
  );
  const start = events[0]?.timestamp?.getTime() ?? 0;
  const lines = [`Execution history of ${label} job ${created.jobId} on ${provider} (${status}), generation ${latencyMs / 1000} s:`];
  for (const event of events) {
    const ms = (event.timestamp?.getTime() ?? start) - start;
    const state = event.stateEnteredEventDetails?.name ?? '';
    lines.push(`  ${String(event.id).padStart(3)}  +${String(ms).padStart(6)} ms  ${event.type?.padEnd(18)} ${state}`);
  }
  const entered = events.filter((e) => String(e.type).endsWith('StateEntered')).length;
  const retried = events.filter((e) => String(e.type) === 'StateRetried').length;
  lines.push(`\nState transitions: ${entered + retried} (${entered} states entered, ${retried} retries) in ${events.length} events.\n`);
  return lines.join('\n');
}

try {
  // kling calls back; kling-v3-rest has no callbacks and is polled.
  const outputs = await Promise.all([runJob('a callback', 'kling'), runJob('a polled', 'kling-v3-rest')]);
  console.log(outputs.join('\n'));
} finally {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

// Prints the Step Functions history of one callback-path job, run end to end on an embedded local stack, and
// its number of state transitions (what Standard workflows bill: each state entered, each retry).
// Usage: npm run history [-- "<prompt>"]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { executionArnOf } from '../lambdas/aws/step-functions.ts';
import { LOCAL_NAMES, startLocalStack } from '../local/stack.ts';

const prompt = process.argv[2] ?? 'a red fox running through snow';
const dataDir = mkdtempSync(join(tmpdir(), 'klingflow-history-'));
const stack = await startLocalStack({
  log: () => undefined,
  settings: { KLINGFLOW_DATA_DIR: dataDir, KLINGFLOW_PORT: 0, KLINGFLOW_SIMULATOR_LATENCY_MS: 1500, POWERTOOLS_LOG_LEVEL: 'SILENT' },
});

try {
  const headers = { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' };
  const created = (await (await fetch(`${stack.url}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify({ prompt }) })).json()) as {
    jobId: string;
  };
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
  console.log(`Execution history of job ${created.jobId} (${status}):`);
  for (const event of events) {
    const ms = (event.timestamp?.getTime() ?? start) - start;
    const state = event.stateEnteredEventDetails?.name ?? '';
    console.log(`  ${String(event.id).padStart(3)}  +${String(ms).padStart(5)} ms  ${event.type?.padEnd(18)} ${state}`);
  }
  const entered = events.filter((e) => String(e.type).endsWith('StateEntered')).length;
  const retried = events.filter((e) => String(e.type) === 'StateRetried').length;
  console.log(`\nState transitions: ${entered + retried} (${entered} states entered, ${retried} retries) in ${events.length} events.`);
} finally {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

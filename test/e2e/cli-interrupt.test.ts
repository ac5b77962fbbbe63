// Ctrl-C while `klingflow generate` waits on an embedded stack, as a terminal sends it (SIGINT to the process group):
// the CLI says the job goes on and where, stops the stack cleanly (the data folder's lock released) and exits 130;
// the job is still there, unfinished and not failed, for the next stack on that folder to drive on.
import { spawn } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { INTERRUPTED_EXIT_CODE } from '../../cli/main.ts';
import { LOCK_FILE } from '../../local/data-lock.ts';
import { Client, freshDataDir, SHARED_CACHE, startTestStack } from './local-stack.ts';

it('Ctrl-C during generate on an embedded stack: says the job goes on, stops the stack cleanly, exits 130', async () => {
  const dataDir = freshDataDir();
  if (existsSync(join(SHARED_CACHE, 'workflow.json'))) cpSync(SHARED_CACHE, join(dataDir, 'cache'), { recursive: true });
  const { KLINGFLOW_DATA_DIR: _dir, KLINGFLOW_API_TOKEN: _token, ...env } = process.env;
  // Its own process group, so the test can signal it as a terminal's Ctrl-C does (the whole group).
  const child = spawn(process.execPath, ['cli/bin.mjs', 'generate', 'a fox [sim:latency=60000]', '--data-dir', dataDir], {
    env,
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 120_000;
  while (!/submitted (job_\w+)/.test(stdout) && child.exitCode === null && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const jobId = /submitted (job_\w+)/.exec(stdout)?.[1];
  expect(jobId, `${stdout}${stderr}`).toBeDefined();
  process.kill(-child.pid!, 'SIGINT');
  expect(await exited).toBe(INTERRUPTED_EXIT_CODE);
  expect(stderr).toContain(`interrupted: stopping the embedded stack; job ${jobId} is saved in ${dataDir} and goes on`);
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(existsSync(join(dataDir, LOCK_FILE)), 'the stack stopped cleanly and released its folder').toBe(false);

  const stack = await startTestStack(dataDir);
  try {
    const { status, body } = await new Client(stack).request('GET', `/v1/jobs/${jobId}`);
    expect(status).toBe(200);
    expect(['QUEUED', 'SUBMITTED', 'PROCESSING']).toContain(body.status);
  } finally {
    await stack.stop();
  }
}, 240_000);

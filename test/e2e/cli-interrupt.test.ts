// `klingflow generate` waiting on an embedded stack, ended early: by Ctrl-C as a terminal sends it (SIGINT to the
// process group), where the CLI says the job goes on and where and exits 130, or by its reader closing stdout
// (`| head`), where it exits 141. Either way the stack stops cleanly (the data folder's lock released) and the job is
// still there, unfinished and not failed, for the next stack on that folder to drive on.
import { spawn } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { INTERRUPTED_EXIT_CODE, OUTPUT_CLOSED_EXIT_CODE } from '../../cli/main.ts';
import { LOCK_FILE } from '../../local/data-lock.ts';
import { Client, freshDataDir, SHARED_CACHE, startTestStack } from './local-stack.ts';

/** `klingflow generate` (slow job) on a fresh data folder with no stack running: the CLI starts an embedded one. */
function generateEmbedded() {
  const dataDir = freshDataDir();
  if (existsSync(join(SHARED_CACHE, 'workflow.json'))) cpSync(SHARED_CACHE, join(dataDir, 'cache'), { recursive: true });
  const { KLINGFLOW_DATA_DIR: _dir, KLINGFLOW_API_TOKEN: _token, ...env } = process.env;
  // Its own process group, so the test can signal it as a terminal's Ctrl-C does (the whole group).
  const child = spawn(process.execPath, ['cli/bin.mjs', 'generate', 'a fox [sim:latency=60000]', '--data-dir', dataDir], {
    env,
    detached: true,
  });
  const seen = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => {
    seen.stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    seen.stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  /** Resolves with the job id once the CLI has said it submitted it. */
  const submitted = async (): Promise<string> => {
    const deadline = Date.now() + 120_000;
    while (!/submitted (job_\w+)/.test(seen.stdout) && child.exitCode === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const jobId = /submitted (job_\w+)/.exec(seen.stdout)?.[1];
    if (!jobId) throw new Error(`no job submitted: ${seen.stdout}${seen.stderr}`);
    return jobId;
  };
  return { dataDir, child, seen, exited, submitted };
}

/** The job is still there on the folder, unfinished and not failed, for the next stack to drive on. */
async function expectUnfinished(dataDir: string, jobId: string) {
  const stack = await startTestStack(dataDir);
  try {
    const { status, body } = await new Client(stack).request('GET', `/v1/jobs/${jobId}`);
    expect(status).toBe(200);
    expect(['QUEUED', 'SUBMITTED', 'PROCESSING']).toContain(body.status);
  } finally {
    await stack.stop();
  }
}

it('Ctrl-C during generate on an embedded stack: says the job goes on, stops the stack cleanly, exits 130', async () => {
  const { dataDir, child, seen, exited, submitted } = generateEmbedded();
  const jobId = await submitted();
  process.kill(-child.pid!, 'SIGINT');
  expect(await exited).toBe(INTERRUPTED_EXIT_CODE);
  expect(seen.stderr).toContain(`interrupted: stopping the embedded stack; job ${jobId} is saved in ${dataDir} and goes on`);
  expect(seen.stderr).not.toMatch(/\n\s+at /);
  expect(existsSync(join(dataDir, LOCK_FILE)), 'the stack stopped cleanly and released its folder').toBe(false);
  await expectUnfinished(dataDir, jobId);
}, 240_000);

it('generate | head: when the reader closes stdout, the embedded stack stops cleanly and the CLI exits 141, quietly', async () => {
  const { dataDir, child, seen, exited, submitted } = generateEmbedded();
  const jobId = await submitted();
  child.stdout.destroy();
  expect(await exited).toBe(OUTPUT_CLOSED_EXIT_CODE);
  expect(seen.stderr).not.toMatch(/\n\s+at |EPIPE/);
  expect(existsSync(join(dataDir, LOCK_FILE)), 'the stack stopped cleanly and released its folder').toBe(false);
  await expectUnfinished(dataDir, jobId);
}, 240_000);

it('Ctrl-C while the embedded stack is still starting: nothing is sent, the stack stops once started, exit 130', async () => {
  const { dataDir, child, seen, exited } = generateEmbedded();
  const deadline = Date.now() + 60_000;
  while (!seen.stderr.includes('starting an embedded one') && child.exitCode === null && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  process.kill(-child.pid!, 'SIGINT');
  expect(await exited).toBe(INTERRUPTED_EXIT_CODE);
  expect(seen.stderr).toContain('interrupted: nothing was sent; stopping once the local stack has started');
  expect(seen.stdout).not.toContain('submitted');
  expect(existsSync(join(dataDir, LOCK_FILE)), 'the stack stopped cleanly and released its folder').toBe(false);
  const stack = await startTestStack(dataDir);
  try {
    expect((await new Client(stack).request('GET', '/v1/jobs')).body.items).toEqual([]);
  } finally {
    await stack.stop();
  }
}, 240_000);

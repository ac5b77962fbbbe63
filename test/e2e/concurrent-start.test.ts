// Two `npm start` on one data folder: at the same moment on a fresh folder, and with the first already up. Exactly
// one serves; the other says which process holds the folder and exits 1, with no stack trace (it used to die with
// dynalite's raw "Database is closed" when both opened the database at once).
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../local/data-lock.ts';
import { freshDataDir, SHARED_CACHE } from './local-stack.ts';

interface Started {
  child: ChildProcess;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
}

const started: Started[] = [];
afterEach(async () => {
  for (const { child, exited } of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  }
});

/** `npm start` (local/main.ts, as the script runs it) on `dataDir`, on a free port. */
function npmStart(dataDir: string): Started {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', 'local/main.ts'], {
    env: { ...process.env, KLINGFLOW_PORT: '0', KLINGFLOW_DATA_DIR: dataDir, POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const start = { child, exited, stdout: () => stdout, stderr: () => stderr };
  started.push(start);
  return start;
}

/** Waits until the process has said it serves (true) or has ended (false); throws after 90 s of neither. */
async function readyOrExited(start: Started): Promise<boolean> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (start.stdout().includes('klingflow local stack ready at')) return true;
    if (start.child.exitCode !== null || start.child.signalCode !== null) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`neither ready nor ended after 90 s: ${start.stdout()}${start.stderr()}`);
}

/** A fresh data folder with the synthesized workflow already in its cache (when the shared one has it). */
function dataDirWithCache(): string {
  const dataDir = freshDataDir();
  if (existsSync(join(SHARED_CACHE, 'workflow.json'))) cpSync(SHARED_CACHE, join(dataDir, 'cache'), { recursive: true });
  return dataDir;
}

describe('two npm start on one data folder', () => {
  it('at the same moment on a fresh folder: one serves, the other says the folder is taken and exits 1', async () => {
    const dataDir = dataDirWithCache();
    const both = [npmStart(dataDir), npmStart(dataDir)];
    const ready = await Promise.all(both.map(readyOrExited));
    expect(ready.filter(Boolean)).toHaveLength(1);
    const winner = both[ready.indexOf(true)]!;
    const loser = both[ready.indexOf(false)]!;
    expect(await loser.exited).toBe(1);
    expect(loser.stderr()).toContain(
      `klingflow: the local stack could not start: a local stack is already running on ${dataDir} (still starting) (pid ${winner.child.pid})`,
    );
    expect(loser.stderr()).not.toMatch(/\n\s+at /); // no stack trace
    expect(loser.stdout()).toBe('');

    // The winner serves on, and releases the folder when it stops.
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(true);
    winner.child.kill('SIGTERM');
    expect(await winner.exited).toBe(0);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  }, 180_000);

  it('with the first already up: the second names its URL and pid, and exits 1', async () => {
    const dataDir = dataDirWithCache();
    const first = npmStart(dataDir);
    expect(await readyOrExited(first)).toBe(true);
    const url = /ready at (\S+)/.exec(first.stdout())![1];
    const second = npmStart(dataDir);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toContain(`a local stack is already running on ${dataDir} at ${url} (pid ${first.child.pid})`);
    expect(second.stderr()).not.toMatch(/\n\s+at /);
  }, 180_000);
});

describe("npm start's stop", () => {
  it('with its stdout reader gone (npm start | tee, and Ctrl-C ends tee too): stops cleanly, releasing the folder', async () => {
    const dataDir = dataDirWithCache();
    const start = npmStart(dataDir);
    expect(await readyOrExited(start)).toBe(true);
    // The reader goes first, so the stop's own line is written to a closed pipe (EPIPE).
    start.child.stdout?.destroy();
    start.child.kill('SIGINT');
    expect(await start.exited).toBe(0);
    expect(existsSync(join(dataDir, LOCK_FILE)), 'the stack stopped and released its data folder').toBe(false);
  }, 180_000);

  it('when its terminal closes (SIGHUP): stops cleanly, releasing the folder', async () => {
    const dataDir = dataDirWithCache();
    const start = npmStart(dataDir);
    expect(await readyOrExited(start)).toBe(true);
    start.child.kill('SIGHUP');
    expect(await start.exited).toBe(0);
    expect(start.stdout()).toContain('SIGHUP: stopping the local stack');
    expect(existsSync(join(dataDir, LOCK_FILE)), 'the stack stopped and released its data folder').toBe(false);
  }, 180_000);
});

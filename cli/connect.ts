// Where the CLI sends its requests: `--api` (a deployment, or any klingflow API), else the local stack serving the
// project's data folder, else an embedded local stack started for this one run.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { KlingflowApi } from './api-client.ts';

/** A mistake in how the CLI was called: printed with the usage, exit code 2. */
export class UsageError extends Error {}

export interface Target {
  api: KlingflowApi;
  /** Where uploads go: the local stack's S3 emulator, or (with --api) the deployment's bucket. */
  inputs?: { bucket: string; endpoint?: string };
  stop(): Promise<void>;
}

export interface ConnectOptions {
  api?: string;
  token?: string;
  dataDir: string;
  bucket?: string;
}

/**
 * The data folder of the project the CLI runs in: the nearest `.klingflow` folder in this directory or above it
 * (so the CLI works from a subfolder, as `git` does), else `./.klingflow`.
 */
export function nearestDataDir(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.klingflow'))) return join(dir, '.klingflow');
    if (dirname(dir) === dir) return join(resolve(from), '.klingflow');
  }
}

async function reachable(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/v1/jobs?limit=1`, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

/** Connects as described above. Throws `UsageError` when a token is needed and none is known. */
export async function connect(options: ConnectOptions, say: (line: string) => void): Promise<Target> {
  const none = async () => undefined;
  if (options.api) {
    const token = options.token || process.env.KLINGFLOW_API_TOKEN;
    if (!token) throw new UsageError('--api needs a token: --token or KLINGFLOW_API_TOKEN');
    return {
      api: new KlingflowApi(options.api.replace(/\/+$/, ''), token),
      inputs: options.bucket ? { bucket: options.bucket } : undefined,
      stop: none,
    };
  }
  const { runningStack, startLocalStack } = await import('../local/stack.ts');
  const running = runningStack(options.dataDir);
  const savedToken = () => {
    const file = join(options.dataDir, 'api-token');
    return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  };
  if (running && (await reachable(running.url))) {
    const token = options.token || process.env.KLINGFLOW_API_TOKEN || savedToken();
    if (!token) throw new UsageError(`the local stack at ${running.url} needs its token: --token or KLINGFLOW_API_TOKEN`);
    const inputs = running.s3Endpoint && running.inputsBucket ? { bucket: running.inputsBucket, endpoint: running.s3Endpoint } : undefined;
    return { api: new KlingflowApi(running.url, token), inputs, stop: none };
  }
  say('No local stack is running: starting an embedded one for this run...');
  const stack = await startLocalStack({ settings: { KLINGFLOW_PORT: 0, KLINGFLOW_DATA_DIR: options.dataDir }, log: () => undefined });
  return {
    api: new KlingflowApi(stack.url, stack.token),
    inputs: { bucket: stack.inputsBucket, endpoint: stack.s3Endpoint },
    stop: stack.stop,
  };
}

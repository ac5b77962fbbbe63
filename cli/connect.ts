// Where the CLI sends its requests, and how it authenticates: `--api` (a deployment, or any klingflow API) with a
// bearer token or AWS SigV4, else the local stack serving the project's data folder, else an embedded local stack
// started for this one run.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isLoopbackAddress } from '../lambdas/domain/url-policy.ts';
import { type ApiAuth, KlingflowApi } from './api-client.ts';

/** A mistake in how the CLI was called: printed with the usage, exit code 2. */
export class UsageError extends Error {}

export interface Target {
  api: KlingflowApi;
  stop(): Promise<void>;
  /** The data folder of a local stack started for this run only (it stops with the command); undefined otherwise. */
  embeddedIn?: string;
}

export interface ConnectOptions {
  api?: string;
  token?: string;
  /** `token` (bearer) or `sigv4`; default: a token where one is known, else SigV4. */
  auth?: 'token' | 'sigv4';
  /** The region to sign for; default: the one in an execute-api URL, else AWS_REGION. */
  region?: string;
  dataDir: string;
}

/**
 * The data folder of the project the CLI runs in: the nearest `.klingflow` folder in this directory or above it
 * (so the CLI works from a subfolder, as `git` does); else, before any exists, `.klingflow` in the nearest folder
 * with a `package.json` (the project's top, where `npm start` keeps its data); else `./.klingflow`.
 */
export function nearestDataDir(from: string): string {
  let project: string | undefined;
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.klingflow'))) return join(dir, '.klingflow');
    if (!project && existsSync(join(dir, 'package.json'))) project = dir;
    if (dirname(dir) === dir) return join(project ?? resolve(from), '.klingflow');
  }
}

async function reachable(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/v1/openapi.json`, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

/** The region of an API Gateway URL (`https://<id>.execute-api.<region>.amazonaws.com`), if it is one. */
export const regionOfApiUrl = (url: string): string | undefined => /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(url)?.[1];

/**
 * SigV4 with the standard AWS credential chain (environment, shared config and credentials files, SSO, web
 * identity, container and instance roles), as the AWS CLI and SDKs find credentials. Throws `UsageError` when no
 * region can be told.
 */
export async function sigV4Auth(url: string, region?: string): Promise<ApiAuth> {
  const chosen = region ?? regionOfApiUrl(url) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!chosen) throw new UsageError(`cannot tell which region ${url} is in: --region or AWS_REGION`);
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  const chain = fromNodeProviderChain();
  return {
    kind: 'sigv4',
    region: chosen,
    credentials: async () => {
      try {
        return await chain();
      } catch (error) {
        throw new UsageError(
          `SigV4 needs AWS credentials and none were found (${(error as Error).message}); set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give a --token`,
        );
      }
    },
  };
}

/** The token a local stack saved in its data folder (`api-token`), if any. */
function savedToken(dataDir: string): string | undefined {
  const file = join(dataDir, 'api-token');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined;
}

/**
 * The saved token of the stack serving `dataDir` when `url` is that stack (same host name and port): `--api` given
 * for this project's own stack, as one started with `KLINGFLOW_PORT` invites.
 */
async function tokenOfOwnStack(url: string, dataDir: string): Promise<string | undefined> {
  const { runningStack } = await import('../local/stack.ts');
  const running = runningStack(dataDir);
  if (!running || running.auth === 'sigv4') return undefined;
  const origin = (address: string) => {
    const parsed = new URL(address);
    const host = parsed.hostname === 'localhost' || isLoopbackAddress(parsed.hostname) ? 'loopback' : parsed.hostname;
    return `${host}:${parsed.port}`;
  };
  return origin(running.url) === origin(url) ? savedToken(dataDir) : undefined;
}

/** Connects as described above. Throws `UsageError` when a token is needed and none is known. */
export async function connect(options: ConnectOptions, say: (line: string) => void): Promise<Target> {
  const none = async () => undefined;
  if (options.api) {
    const url = options.api.replace(/\/+$/, '');
    let token = options.token || process.env.KLINGFLOW_API_TOKEN;
    if (!token && options.auth !== 'sigv4' && isLoopback(url)) token = await tokenOfOwnStack(url, options.dataDir);
    if (options.auth === 'token' && !token) throw new UsageError('--auth token needs a token: --token or KLINGFLOW_API_TOKEN');
    // A local stack on this machine takes its bearer token (npm start prints it); only one in SigV4 mode wants a region.
    const region = options.region || regionOfApiUrl(url) || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
    if (!token && !region && options.auth !== 'sigv4' && isLoopback(url)) {
      throw new UsageError(
        `${url} is on this machine: give the local stack's token (npm start prints it) with --token or KLINGFLOW_API_TOKEN ` +
          "(or, for a stack in SigV4 mode, --region or AWS_REGION); the stack of this project's data folder needs no --api",
      );
    }
    // A token where one is given (the local stack's, or a JWT for auth=jwt); SigV4 otherwise (auth=iam, the default).
    const auth: ApiAuth = options.auth !== 'sigv4' && token ? { kind: 'bearer', token } : await sigV4Auth(url, options.region);
    return { api: new KlingflowApi(url, auth), stop: none };
  }
  const { runningStack, startLocalStack } = await import('../local/stack.ts');
  const running = runningStack(options.dataDir);
  if (running && (await reachable(running.url))) {
    if (running.auth === 'sigv4' || options.auth === 'sigv4') {
      return { api: new KlingflowApi(running.url, await sigV4Auth(running.url, options.region ?? 'us-east-1')), stop: none };
    }
    const token = options.token || process.env.KLINGFLOW_API_TOKEN || savedToken(options.dataDir);
    if (!token) throw new UsageError(`the local stack at ${running.url} needs its token: --token or KLINGFLOW_API_TOKEN`);
    return { api: new KlingflowApi(running.url, { kind: 'bearer', token }), stop: none };
  }
  say(`No local stack is running on ${options.dataDir}: starting an embedded one for this run...`);
  const stack = await startLocalStack({
    settings: {
      KLINGFLOW_PORT: 0,
      KLINGFLOW_DATA_DIR: options.dataDir,
      // The handlers' log lines are for a stack's operator; a command's person reads the job (unless asked for them).
      ...(process.env.POWERTOOLS_LOG_LEVEL ? {} : { POWERTOOLS_LOG_LEVEL: 'SILENT' as const }),
    },
    log: () => undefined,
  });
  return { api: new KlingflowApi(stack.url, { kind: 'bearer', token: stack.token }), stop: stack.stop, embeddedIn: options.dataDir };
}

/** Whether `url` names this machine: `localhost`, or a loopback address (url-policy.ts, isLoopbackAddress). */
function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || isLoopbackAddress(host);
  } catch {
    return false;
  }
}

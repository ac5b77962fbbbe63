// The provider simulator: one loopback port hosting every dialect's routes over a shared task engine, plus media and
// `/_sim/` control routes. The port speaks plain HTTP and, for the media links of providers whose outputs are https
// (Replicate's FileOutput needs an `https:` URL), TLS with a loopback-only certificate (simulator/tls.ts, made at
// first start): the first byte of a connection tells the two apart. With a state folder it keeps its tasks (and its port) across restarts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import type { SimulatorCredentials } from './auth.ts';
import { DEFAULT_CALLBACK_RETRY, type CallbackRetryPolicy } from './callbacks.ts';
import { controlRoutes } from './control.ts';
import type { Dialect, DialectContext } from './dialects/dialect.ts';
import { falDialect } from './dialects/fal.ts';
import { klingDialect } from './dialects/kling.ts';
import { klingAiDialect } from './dialects/kling-ai.ts';
import { klingV3RestDialect } from './dialects/kling-v3-rest.ts';
import { replicateDialect } from './dialects/replicate.ts';
import { klinggeneratorDialect } from './dialects/klinggenerator.ts';
import { kling3apiDialect } from './dialects/kling3api.ts';
import { TaskEngine, type RequestScope, type SimRejection, type SimTask } from './engine.ts';
import { BodyTooLargeError, matchRoute, readBody, sendJson, type GatewayErrorMode, type Route } from './http.ts';
import type { DialectLimits } from './limits.ts';
import { mediaRoutes } from './media.ts';
import { loopbackIdentity } from './tls.ts';

export type { SimTask, SimTaskStatus, SimRejection } from './engine.ts';
export type { SimulatorCredentials } from './auth.ts';
export type { DialectLimits, LimitRefusal } from './limits.ts';
export type { GatewayErrorMode } from './http.ts';

/** First byte of a TLS ClientHello (a handshake record). */
const TLS_HANDSHAKE = 0x16;

/** Replicate removes a prediction's inputs, outputs and logs an hour after it ends (Replicate docs, "Data retention"). */
export const DEFAULT_DATA_RETENTION_MS = 60 * 60 * 1000;

export interface SimulatorOptions {
  /** 0 = any free port; the server binds 127.0.0.1 only. */
  port?: number;
  /** Default time from submit to terminal status (default 1500). */
  latencyMs?: number;
  /** How many 'processing' progress updates come before the terminal status (default 3). */
  progressSteps?: number;
  /** Standard Webhooks secret 'whsec_<base64>' used to sign callbacks; unsigned if absent. */
  webhookSecret?: string;
  /** When set, requests must authenticate with the API key as Bearer, or an HS256 JWT (iss = accessKey). */
  credentials?: SimulatorCredentials;
  /** Callback retry policy (default 4 attempts, 100 ms doubling backoff, 5 s timeout). */
  callbackRetry?: Partial<CallbackRetryPolicy>;
  /** Per-dialect credentials and callback secrets, by dialect name (override the two above). */
  dialectSettings?: Record<string, { credentials?: SimulatorCredentials; webhookSecret?: string }>;
  /** The dialects to serve (default: all of DIALECTS). */
  dialects?: readonly Dialect[];
  /**
   * Account limits per dialect name: concurrent tasks (per account or per model) and creates per minute. A create past
   * a limit gets that dialect's own refusal (Kling 1303/1302, a 429 with its retry hint...). Default: no limits.
   */
  limits?: Readonly<Record<string, DialectLimits>>;
  /**
   * How `[sim:http<status>]` rejections are answered: `provider` (default), in each dialect's own error shape, or
   * `html`, on every mount, as a gateway in front of the provider would: an HTML page, not JSON. Changeable at run
   * time (`setGatewayErrors`, `POST /_sim/settings`).
   */
  gatewayErrors?: GatewayErrorMode;
  /** How long a provider that removes outputs (Replicate) keeps them after a task ends (default an hour). */
  dataRetentionMs?: number;
  /** Ended tasks kept in memory (default 1000); older ones are forgotten, so a long run stays flat. */
  finishedTasksKept?: number;
  /**
   * Add the loopback certificate to this process's trusted CAs (default true), so in-process clients (the local
   * stack's Archive step, tests) can fetch the simulator's https media links. Another process sets
   * NODE_EXTRA_CA_CERTS to `certificateFile` instead.
   */
  trustCertificate?: boolean;
  /**
   * A folder where the loopback certificate and its key are made at first start and read back on later ones
   * (`loopback-cert.pem`, `loopback-key.pem`; simulator/tls.ts). Default: `stateDir`; with neither, one pair is made
   * for this process and kept in memory.
   */
  tlsDir?: string;
  /**
   * A folder where the simulator keeps its tasks (`tasks.jsonl`, simulator/journal.ts), so that a simulator started
   * again on the same folder (and port) still knows every task, and unfinished ones finish (without callbacks).
   */
  stateDir?: string;
}

export interface Simulator {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The same port over TLS, `https://127.0.0.1:<port>` (certificate: `certificate`). */
  secureUrl: string;
  /** The loopback-only certificate (127.0.0.1 and localhost) the TLS side presents, as PEM. */
  certificate: string;
  /** Where that certificate is on disk, for NODE_EXTRA_CA_CERTS in another process (absent when kept in memory). */
  certificateFile?: string;
  port: number;
  close(): Promise<void>;
  /** Snapshot of every task, oldest first. */
  tasks(): SimTask[];
  /** Forgets all tasks and attempt counters. */
  reset(): void;
  /** Snapshot of create attempts refused by fault directives and by account limits. */
  rejections(): SimRejection[];
  /** The most tasks each dialect had in flight at once (per model where its limits count per model). */
  peakInFlight(): Record<string, number>;
  /** Each served dialect's base URL and adapter settings, by dialect name. */
  endpoints(): Record<string, { baseUrl: string; settings: Record<string, string> }>;
  /** How `[sim:http<status>]` rejections are answered from now on (see SimulatorOptions.gatewayErrors). */
  setGatewayErrors(mode: GatewayErrorMode): void;
}

export const DIALECTS: readonly Dialect[] = [
  klingDialect,
  klingV3RestDialect,
  klingAiDialect,
  klinggeneratorDialect,
  kling3apiDialect,
  falDialect,
  replicateDialect,
];

/**
 * Starts the simulator on 127.0.0.1 (see SimulatorOptions), with its loopback certificate made or read back first.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  if (options.webhookSecret !== undefined) assertWebhookSecret(options.webhookSecret);
  const identity = await loopbackIdentity(options.tlsDir ?? options.stateDir);
  const engine = new TaskEngine({
    latencyMs: options.latencyMs ?? 1500,
    progressSteps: options.progressSteps ?? 3,
    finishedKept: options.finishedTasksKept,
    webhookSecret: options.webhookSecret,
    callbackRetry: { ...DEFAULT_CALLBACK_RETRY, ...options.callbackRetry },
    limits: options.limits,
    ...(options.stateDir ? { journalFile: join(options.stateDir, 'tasks.jsonl') } : {}),
  });

  let url = '';
  let secureUrl = '';
  const runtime = { gatewayErrors: options.gatewayErrors ?? 'provider' };
  const dialects = options.dialects ?? DIALECTS;
  const contextOf = (dialect: Dialect): DialectContext => {
    const settings = options.dialectSettings?.[dialect.name];
    return {
      engine,
      baseUrl: () => url,
      secureBaseUrl: () => secureUrl,
      mountUrl: () => `${url}/${dialect.name}`,
      credentials: settings?.credentials ?? options.credentials,
      webhookSecret: settings?.webhookSecret ?? options.webhookSecret,
      gatewayErrors: () => runtime.gatewayErrors,
      dataRetentionMs: options.dataRetentionMs ?? DEFAULT_DATA_RETENTION_MS,
    };
  };
  const routes: Route[] = [
    ...controlRoutes(
      engine,
      dialects.map((dialect) => dialect.name),
      runtime,
    ),
    ...mediaRoutes(engine),
    // Each dialect under /<name>; kling also at the root, where the official API has its paths.
    ...dialects.flatMap((dialect) => mountRoutes(`/${dialect.name}`, dialect.routes(contextOf(dialect)))),
    ...dialects.filter((dialect) => dialect.name === 'kling').flatMap((dialect) => dialect.routes(contextOf(dialect))),
  ];

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    dispatch(engine, routes, req, res).catch((error: unknown) => replyWithFailure(res, error));
  };
  const plain = createServer(handler);
  const secure = createTlsServer({ cert: identity.certificate, key: identity.key }, handler);
  // One port for both: a connection whose first byte opens a TLS handshake goes to the TLS server.
  const server = createNetServer({ pauseOnConnect: true }, (socket: Socket) => {
    socket.once('readable', () => {
      const first = socket.read(1) as Buffer | null;
      if (!first) {
        socket.destroy();
        return;
      }
      socket.unshift(first);
      (first[0] === TLS_HANDSHAKE ? (secure as unknown as Server) : plain).emit('connection', socket);
      socket.resume();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;
  secureUrl = `https://127.0.0.1:${port}`;
  if (options.trustCertificate ?? true) trustInThisProcess(identity.certificate);

  let closing: Promise<void> | null = null;
  return {
    url,
    secureUrl,
    certificate: identity.certificate,
    ...(identity.certificateFile ? { certificateFile: identity.certificateFile } : {}),
    port,
    tasks: () => structuredClone(engine.list()),
    rejections: () => structuredClone(engine.rejections()),
    peakInFlight: () => engine.peakInFlight(),
    endpoints: () =>
      Object.fromEntries(
        dialects.map((dialect) => {
          const context = contextOf(dialect);
          return [dialect.name, { baseUrl: context.mountUrl(), settings: dialect.adapterSettings?.(context) ?? {} }];
        }),
      ),
    reset: () => engine.reset(),
    setGatewayErrors: (mode) => {
      runtime.gatewayErrors = mode;
    },
    close: () => {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        plain.closeAllConnections();
        secure.closeAllConnections();
        await Promise.all([engine.close(), stopped]);
      })();
      return closing;
    },
  };
}

/** Adds a certificate to the CAs this process's TLS clients (fetch included) trust, once. */
function trustInThisProcess(certificate: string): void {
  const trusted = getCACertificates('default');
  if (!trusted.includes(certificate)) setDefaultCACertificates([...trusted, certificate]);
}

/** The same routes under a path prefix. */
function mountRoutes(prefix: string, routes: Route[]): Route[] {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return routes.map((route) => ({
    ...route,
    pattern: new RegExp(`^${escaped}${route.pattern.source.replace(/^\^/, '')}`, route.pattern.flags),
  }));
}

async function dispatch(engine: TaskEngine, routes: readonly Route[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const method = req.method ?? 'GET';
  const found = matchRoute(routes, method, url.pathname);
  if (!found.route) {
    req.resume();
    if (found.pathMatched) sendJson(res, 405, { error: `method ${method} not allowed on ${url.pathname}` });
    else sendJson(res, 404, { error: `no route for ${method} ${url.pathname}` });
    return;
  }
  const body = method === 'GET' || method === 'HEAD' ? '' : await readBody(req);
  const scope: RequestScope = { loseResponse: false };
  // [sim:lost-response]: the task was created, and the answer is lost on the way (the connection drops).
  // [sim:delay=<ms>]: the task was created, and the answer takes its time.
  const end = res.end.bind(res);
  res.end = ((...args: Parameters<typeof res.end>) => {
    if (scope.loseResponse) {
      res.socket?.destroy();
      return res;
    }
    if (scope.delayMs) {
      setTimeout(() => end(...args), scope.delayMs).unref();
      return res;
    }
    return end(...args);
  }) as typeof res.end;
  await engine.withinRequest(scope, () => found.route.handle({ req, res, url, params: found.params, body }));
}

function replyWithFailure(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof BodyTooLargeError) {
    sendJson(res, 413, { error: error.message }, { connection: 'close' });
    return;
  }
  sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
}

function assertWebhookSecret(secret: string): void {
  try {
    new Webhook(secret);
  } catch (error) {
    throw new Error(`webhookSecret must look like "whsec_<base64>": ${(error as Error).message}`);
  }
}

// The local stack: everything klingflow runs on AWS, on one machine, on loopback, with no AWS account.
// DynamoDB (dynalite) and S3 (s3rver) with data on disk, the provider simulator, the Step Functions and SNS
// APIs (local/emulators/aws-api.ts), the synthesized workflow, and the HTTP front door. The handlers are the
// Lambda handlers, unchanged, configured through the environment exactly as on AWS.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deploymentSecretEnv, ENV, PROVIDER_ENV_NAMES, providerEnv } from '../lambdas/aws/env.ts';
import { UPLOAD_CORS } from '../lambdas/http/cors.ts';
import { PROVIDER_IDS } from '../lambdas/providers/ids.ts';
import { HANDLERS, type HandlerName } from '../lambdas/workflow/contract.ts';
import { keepOwnerOnly } from '../simulator/owner-only.ts';
import { startSimulator, type Simulator } from '../simulator/server.ts';
import { startAwsApi } from './emulators/aws-api.ts';
import { startDynamo } from './emulators/dynamodb.ts';
import { startS3, toNotification } from './emulators/s3.ts';
import { EventInbox } from './event-inbox.ts';
import type { S3Event } from 'aws-lambda';
import { buildConsole, consoleConfig } from '../console/build.ts';
import { type LocalToken, startFrontDoor } from './front-door.ts';
import { LOCAL_SIGV4_CREDENTIALS, LOCAL_SIGV4_REGION } from './sigv4.ts';
import { type DataLock, DataDirLocked, lockDataDir } from './data-lock.ts';
import { LambdaHost } from './lambda-host.ts';
import { METRICS_ROTATE_CHECK_SECONDS, metricsFileOf, rotateMetricsFile } from './metrics.ts';
import { Outbox } from './outbox.ts';
import { MAIN_TOKEN_NAME, readSettings, type Settings } from './settings.ts';
import { loadWorkflow } from './workflow/definition.ts';
import { WorkflowRuntime } from './workflow/runtime.ts';
import { counted } from '../lambdas/domain/counted.ts';

export const LOCAL_NAMES = {
  table: 'klingflow-jobs',
  admissionTable: 'klingflow-admission',
  spendTable: 'klingflow-spend',
  outputsBucket: 'klingflow-outputs',
  inputsBucket: 'klingflow-inputs',
  stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:klingflow',
  topicArn: 'arn:aws:sns:us-east-1:000000000000:klingflow-notices',
} as const;

export interface LocalStack {
  url: string;
  token: string;
  /** How the API authenticates: the bearer token, or SigV4 with the local test credentials. */
  auth: 'bearer' | 'sigv4';
  dataDir: string;
  /** The S3 emulator's endpoint and the bucket whose uploads/ start image-to-video jobs. */
  s3Endpoint: string;
  inputsBucket: string;
  /** Signs the webhooks sent to callers (receivers verify with `whsec_` + this value). */
  webhookSecret: string;
  /** Hands an S3 notification to the upload trigger, as S3 does (tests use it to redeliver an event). */
  deliverS3Event(event: S3Event): Promise<unknown>;
  outbox: Outbox;
  runtime: WorkflowRuntime;
  /** The built-in simulator, when some provider has no base URL of its own. */
  simulator?: Simulator;
  /** Jobs that were unfinished at start and were driven again. */
  redriven: string[];
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  /** Overrides of the environment settings (tests use these). */
  settings?: Partial<Settings>;
  log?: (line: string) => void;
  /** Where the synthesized workflow is cached (default: <data dir>/cache); tests share one. */
  cacheDir?: string;
}

/** A secret kept in the data folder, owner-only: made once, the same after a restart (its mode tightened if widened). */
function persisted(dataDir: string, name: string, make: () => string): string {
  const file = join(dataDir, name);
  if (existsSync(file)) {
    keepOwnerOnly(file, 'klingflow: the secret');
    return readFileSync(file, 'utf8').trim();
  }
  const value = make();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

/**
 * Credentials the simulator demands of one provider's adapter, kept in the data folder: an API key for every
 * dialect, Kling's AK/SK pair too (so the JWT path is exercised), and a callback signing secret.
 */
function simulatedProviderKeys(dataDir: string, id: string) {
  const keep = (name: string, make: () => string) => persisted(dataDir, join('simulator', `${id}-${name}`), make);
  mkdirSync(join(dataDir, 'simulator'), { recursive: true });
  const apiKey = keep('api-key', () => `sk_${randomBytes(16).toString('hex')}`);
  const credentials =
    id === 'kling'
      ? {
          accessKey: keep('access-key', () => `ak_${randomBytes(12).toString('hex')}`),
          secretKey: keep('secret-key', () => randomBytes(32).toString('base64url')),
        }
      : { apiKey };
  return {
    credentials: credentials as { apiKey?: string; accessKey?: string; secretKey?: string },
    webhookSecret: keep('webhook-secret', () => `whsec_${randomBytes(32).toString('base64')}`),
  };
}

export const STACK_FILE = 'stack.json';

/**
 * The inputs bucket's CORS, as the deployment sets it: browsers at the API's allowed origins may PUT upload tickets'
 * images (lambdas/http/cors.ts, UPLOAD_CORS). s3rver answers preflights from the bucket's CORS configuration.
 */
async function allowUploadsFrom(endpoint: string, bucket: string, origins: readonly string[]): Promise<void> {
  const { PutBucketCorsCommand, S3Client } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  try {
    await client.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedMethods: [...UPLOAD_CORS.allowedMethods],
              AllowedOrigins: [...origins],
              AllowedHeaders: [...UPLOAD_CORS.allowedHeaders],
              MaxAgeSeconds: UPLOAD_CORS.maxAgeSeconds,
            },
          ],
        },
      }),
    );
  } finally {
    client.destroy();
  }
}

/** The stack serving `dataDir` right now, if its process is alive (two stacks on one folder would corrupt it). */
export function runningStack(
  dataDir: string,
): { url: string; pid: number; s3Endpoint?: string; inputsBucket?: string; auth?: 'bearer' | 'sigv4' } | undefined {
  const file = join(dataDir, STACK_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as {
      url: string;
      pid: number;
      s3Endpoint?: string;
      inputsBucket?: string;
      auth?: 'bearer' | 'sigv4';
    };
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined; // stale: its process is gone
  }
}

/**
 * Starts the local stack on the data folder the settings name (made if missing), and resolves once it serves. The
 * folder is locked first (local/data-lock.ts, `<data dir>/stack.lock`) and released by `stop()`. Rejects with "a local
 * stack is already running on <dir> ..." when another live process holds the folder, with EADDRINUSE when the port
 * is taken, and with whatever else stops a part from starting (everything started is stopped again first).
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const settings = { ...readSettings(), ...options.settings };
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dataDir = resolve(settings.KLINGFLOW_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  // The folder is taken before anything in it is read or opened: of two starts at the same moment, one stops here.
  let lock: DataLock;
  try {
    lock = lockDataDir(dataDir);
  } catch (error) {
    if (!(error instanceof DataDirLocked)) throw error;
    const running = runningStack(dataDir);
    const where = running ? ` at ${running.url}` : ' (still starting)';
    throw new Error(`a local stack is already running on ${dataDir}${where} (pid ${error.pid})`);
  }
  try {
    return await startLocked(dataDir, settings, log, options, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** The rest of {@link startLocalStack}, once the data folder is this process's; `stop()` releases the folder. */
async function startLocked(
  dataDir: string,
  settings: Settings,
  log: (line: string) => void,
  options: LocalStackOptions,
  lock: DataLock,
): Promise<LocalStack> {
  // Every notice claim older than this was made by a run that has ended: the folder is this process's from here.
  const startedAt = new Date();
  const token = settings.KLINGFLOW_API_TOKEN ?? persisted(dataDir, 'api-token', () => randomBytes(24).toString('base64url'));
  const callbackSecret = persisted(dataDir, 'callback-secret', () => randomBytes(32).toString('base64url'));
  // Like the deployment's: 32 characters of [A-Za-z0-9], valid base64 for Standard Webhooks.
  const shareSecret = persisted(dataDir, 'share-secret', () => randomBytes(32).toString('base64url'));
  const webhookSecret = persisted(dataDir, 'webhook-secret', () =>
    randomBytes(24)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, 'A')
      .slice(0, 32),
  );

  const workflow = await loadWorkflow(options.cacheDir ?? join(dataDir, 'cache'));
  const outbox = new Outbox(dataDir, log);
  // The lock is released last, once everything that uses the folder has stopped.
  const stops: (() => Promise<void>)[] = [async () => lock.release()];
  // Stops in reverse order of start; safe to call twice.
  const stopAll = async () => {
    for (let stop = stops.pop(); stop; stop = stops.pop()) await stop().catch(() => undefined);
  };

  try {
    const db = await startDynamo(
      join(dataDir, 'dynamodb'),
      [
        { name: LOCAL_NAMES.table, shape: workflow.tableShapes.jobs },
        { name: LOCAL_NAMES.admissionTable, shape: workflow.tableShapes.admission },
        { name: LOCAL_NAMES.spendTable, shape: workflow.tableShapes.spend },
      ],
      // Only after a stack that died (its lock was left behind): a clean stop leaves no half-written item.
      { repairIndexes: lock.tookOver },
    );
    stops.push(db.close);
    if (db.repairedIndexEntries) {
      log(
        `klingflow: removed ${counted(db.repairedIndexEntries, 'index entry', 'index entries')} a stopped stack had left without their item`,
      );
    }
    // Upload events are kept on disk until the trigger has run, as Lambda keeps an asynchronous invocation: one in
    // flight when the stack dies is delivered when it starts again (local/event-inbox.ts).
    const uploadEvents = new EventInbox<S3Event>(join(dataDir, 's3-events'), log);
    const s3 = await startS3(join(dataDir, 's3'), [LOCAL_NAMES.outputsBucket, LOCAL_NAMES.inputsBucket], (event) => {
      const notification = toNotification(event, LOCAL_NAMES.inputsBucket);
      if (!notification.Records.length) return Promise.resolve();
      return Promise.all(Array.from({ length: settings.KLINGFLOW_S3_EVENT_DELIVERIES }, () => uploadEvents.submit(notification)));
    });
    stops.push(s3.close);

    // Providers with no base URL of their own talk to the built-in simulator, each under /<id>.
    const unconfigured = PROVIDER_IDS.filter((id) => !process.env[providerEnv(id, PROVIDER_ENV_NAMES.baseUrl)]);
    const simulated = Object.fromEntries(unconfigured.map((id) => [id, simulatedProviderKeys(dataDir, id)]));
    let simulator: Simulator | undefined;
    if (unconfigured.length) {
      // The simulator keeps its tasks in the data folder and comes back on the same port, so jobs that were in flight
      // when the stack stopped (even by kill -9) find their tasks, and the video URLs they were given, after a restart.
      const simulatorDir = join(dataDir, 'simulator');
      const portFile = join(simulatorDir, 'port');
      const previousPort = existsSync(portFile) ? Number(readFileSync(portFile, 'utf8')) : 0;
      const start = (port: number) =>
        startSimulator({
          port,
          stateDir: simulatorDir,
          latencyMs: settings.KLINGFLOW_SIMULATOR_LATENCY_MS,
          ...(settings.KLINGFLOW_SIMULATOR_LIMITS ? { limits: settings.KLINGFLOW_SIMULATOR_LIMITS } : {}),
          dialectSettings: Object.fromEntries(
            Object.entries(simulated).map(([id, keys]) => [id, { credentials: keys.credentials, webhookSecret: keys.webhookSecret }]),
          ),
        });
      simulator = await start(previousPort).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EADDRINUSE' || previousPort === 0) throw error;
        log(`klingflow: the simulator's port ${previousPort} is taken; it moves, and results it gave before cannot be fetched`);
        return start(0);
      });
      writeFileSync(portFile, String(simulator.port));
      stops.push(simulator.close);
    }

    // The simulated providers' settings (set below) are removed after the workflow runtime has stopped (stops run
    // in reverse): a task that starts while the stack stops must still find its provider's base URL, or its job
    // would end FAILED with a configuration error instead of being driven on at the next start. Gone with the
    // stack: a stack started again in this process must not take them for the user's own settings.
    const simulatedEnvNames: string[] = [];
    stops.push(async () => {
      for (const name of simulatedEnvNames) delete process.env[name];
    });

    const host = new LambdaHost();
    const runtime = new WorkflowRuntime(LOCAL_NAMES.stateMachineArn, workflow.definition, (functionArn, payload) => {
      const name: HandlerName | undefined = workflow.handlerByFunctionName[functionArn];
      if (!name || !HANDLERS.includes(name)) throw new Error(`no local handler for ${functionArn}`);
      return host.invoke(name, payload);
    });
    stops.push(async () => runtime.stopAll());
    const awsApi = await startAwsApi(runtime, outbox);
    stops.push(awsApi.close);

    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      // s3rver accepts only this key pair; the other emulators accept any.
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SFN: awsApi.url,
      AWS_ENDPOINT_URL_SNS: awsApi.url,
      [ENV.s3ForcePathStyle]: 'true',
      [ENV.jobsTable]: LOCAL_NAMES.table,
      [ENV.admissionTable]: LOCAL_NAMES.admissionTable,
      [ENV.spendTable]: LOCAL_NAMES.spendTable,
      [ENV.slotWaitSeconds]: String(settings.KLINGFLOW_SLOT_WAIT_SECONDS),
      [ENV.slotLeaseSeconds]: String(settings.KLINGFLOW_SLOT_LEASE_SECONDS),
      [ENV.maxQueueSeconds]: String(settings.KLINGFLOW_MAX_QUEUE_SECONDS),
      // Handlers run in this process with no Lambda timeout: an unanswered submission has ended once the provider
      // request has timed out (KLINGFLOW_PROVIDER_TIMEOUT_MS), and a moment more.
      [ENV.submitSettleSeconds]: String(Math.ceil(Number(process.env[ENV.providerTimeoutMs] || 20_000) / 1000) + 5),
      [ENV.outputsBucket]: LOCAL_NAMES.outputsBucket,
      [ENV.stateMachineArn]: LOCAL_NAMES.stateMachineArn,
      [ENV.noticesTopicArn]: LOCAL_NAMES.topicArn,
      [ENV.enabledProviders]: PROVIDER_IDS.join(','),
      [ENV.defaultProvider]: settings.KLINGFLOW_DEFAULT_PROVIDER,
      [ENV.maxPolls]: String(settings.KLINGFLOW_MAX_POLLS),
      [ENV.deadlineSeconds]: settings.KLINGFLOW_DEADLINE_SECONDS,
      [ENV.waitTimeScale]: String(settings.KLINGFLOW_WAIT_TIME_SCALE),
      POWERTOOLS_LOG_LEVEL: settings.POWERTOOLS_LOG_LEVEL,
      // Metric lines go to a file the front door sums (GET /v1/metrics), not to the console.
      [ENV.metricsFile]: metricsFileOf(dataDir),
    });
    delete process.env.AWS_PROFILE;
    Object.assign(process.env, {
      [deploymentSecretEnv('CALLBACK_SECRET').value]: callbackSecret,
      [deploymentSecretEnv('WEBHOOK_SECRET').value]: webhookSecret,
      [deploymentSecretEnv('SHARE_SECRET').value]: shareSecret,
      [ENV.inputsBucket]: LOCAL_NAMES.inputsBucket,
      // Webhook receivers on this machine (127.0.0.1, plain http) are fine here; a deployment never allows them.
      [ENV.allowLoopbackCallbackUrls]: 'true',
    });
    // The spend caps as the settings hold them (checked when read); none: no caps.
    if (settings.KLINGFLOW_SPEND_CAPS) process.env[ENV.spendCaps] = JSON.stringify(settings.KLINGFLOW_SPEND_CAPS);
    else delete process.env[ENV.spendCaps];
    const endpoints = simulator?.endpoints() ?? {};
    for (const [id, keys] of Object.entries(simulated)) {
      const endpoint = endpoints[id];
      if (!endpoint) throw new Error(`the simulator does not speak the ${id} dialect`);
      const values: Record<string, string | undefined> = {
        [PROVIDER_ENV_NAMES.baseUrl]: endpoint.baseUrl,
        [PROVIDER_ENV_NAMES.apiKey]: keys.credentials.apiKey,
        [PROVIDER_ENV_NAMES.accessKey]: keys.credentials.accessKey,
        [PROVIDER_ENV_NAMES.secretKey]: keys.credentials.secretKey,
        [PROVIDER_ENV_NAMES.webhookSecret]: keys.webhookSecret,
        ...endpoint.settings,
      };
      // (process.env turns undefined into the string "undefined": leave those out)
      for (const [name, value] of Object.entries(values)) {
        if (value === undefined) continue;
        process.env[providerEnv(id, name)] = value;
        simulatedEnvNames.push(providerEnv(id, name));
      }
    }
    await host.warm();
    const deliverS3Event: LocalStack['deliverS3Event'] = async (event) =>
      event.Records.length ? host.invoke('s3-upload', event) : undefined;
    const admins = new Set(settings.KLINGFLOW_API_ADMINS);
    const tokens: LocalToken[] = [{ name: MAIN_TOKEN_NAME, token }, ...settings.KLINGFLOW_API_TOKENS].map((entry) => ({
      ...entry,
      admin: admins.has(entry.name),
    }));
    let ownOrigins: string[] = [];
    const front = await startFrontDoor(host, {
      port: settings.KLINGFLOW_PORT,
      metricsFile: metricsFileOf(dataDir),
      auth:
        settings.KLINGFLOW_API_AUTH === 'sigv4'
          ? { kind: 'sigv4', credentials: LOCAL_SIGV4_CREDENTIALS, region: LOCAL_SIGV4_REGION }
          : { kind: 'bearer', tokens },
      // The stack's own origin (the console it serves) and any the settings add.
      corsOrigins: () => [...ownOrigins, ...settings.KLINGFLOW_CORS_ORIGINS],
      // The web console at `/`, on the API's own origin (so its config names no API URL).
      site: [...buildConsole(), consoleConfig('')],
    });
    stops.push(front.close);
    ownOrigins = [front.url, `http://localhost:${front.port}`];
    await allowUploadsFrom(s3.endpoint, LOCAL_NAMES.inputsBucket, [...ownOrigins, ...settings.KLINGFLOW_CORS_ORIGINS]);
    process.env[ENV.publicUrl] = front.url;

    // The previous process's executions are gone: every unfinished job is driven again now (no grace), a notice it
    // had claimed but not sent is sent now (its claim is stale, whatever its age), and the reconciler runs on a timer
    // after that, as it does on AWS on a schedule.
    await uploadEvents.open(deliverS3Event);
    const { redriven } = (await host.invoke('reconcile', { graceSeconds: 0, claimsStaleBefore: startedAt.toISOString() })) as {
      redriven: string[];
    };
    if (settings.KLINGFLOW_RECONCILE_SECONDS > 0) {
      const timer = setInterval(() => {
        host
          .invoke('reconcile', { graceSeconds: settings.KLINGFLOW_RECONCILE_GRACE_SECONDS })
          .catch((error: Error) => log(`klingflow: the reconciler failed: ${error.message}`));
      }, settings.KLINGFLOW_RECONCILE_SECONDS * 1000);
      timer.unref();
      stops.push(async () => clearInterval(timer));
    }

    // The metrics file is rotated once it is large, so a stack that runs for days keeps a bounded file (local/metrics.ts).
    const rotation = setInterval(() => {
      try {
        rotateMetricsFile(metricsFileOf(dataDir));
      } catch (error) {
        log(`klingflow: the metrics file was not rotated: ${(error as Error).message}`);
      }
    }, METRICS_ROTATE_CHECK_SECONDS * 1000);
    rotation.unref();
    stops.push(async () => clearInterval(rotation));

    const stackFile = join(dataDir, STACK_FILE);
    writeFileSync(
      stackFile,
      JSON.stringify({
        url: front.url,
        pid: process.pid,
        startedAt: new Date().toISOString(),
        s3Endpoint: s3.endpoint,
        inputsBucket: LOCAL_NAMES.inputsBucket,
        auth: settings.KLINGFLOW_API_AUTH,
      }),
    );
    stops.push(async () => rmSync(stackFile, { force: true }));

    return {
      url: front.url,
      token,
      auth: settings.KLINGFLOW_API_AUTH,
      dataDir,
      s3Endpoint: s3.endpoint,
      inputsBucket: LOCAL_NAMES.inputsBucket,
      webhookSecret,
      deliverS3Event: (event) => deliverS3Event(event),
      outbox,
      runtime,
      simulator,
      redriven,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

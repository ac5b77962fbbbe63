// One Lambda function per handler in lambdas/handlers/, each with its own role and log group. What a function may
// read and do (environment and IAM) is decided in lib/handler-access.ts; here every role starts with nothing but
// writing to its own log group.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';
import { omitAdapterVariable, PROVIDER_IDS } from '../lambdas/providers/ids.ts';
import { HANDLERS } from '../lambdas/workflow/contract.ts';
import type { HandlerName } from '../lambdas/workflow/contract.ts';
// The local stack maps functions to handlers by this CloudFormation metadata key (lib/asl.ts reads it).
import { HANDLER_METADATA_KEY } from './asl.ts';

/** The repository root: entries, the lock file and esbuild's project root are resolved from here. */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');

export const handlerEntry = (name: HandlerName): string => path.join(PROJECT_ROOT, 'lambdas', 'handlers', `${name}.ts`);

interface HandlerSizing {
  memorySize: number;
  timeout: Duration;
  description: string;
}

const STEP = { memorySize: 256, timeout: Duration.seconds(30) };

/** Memory and timeout per handler. */
export const HANDLER_SIZING: Readonly<Record<HandlerName, HandlerSizing>> = {
  api: { memorySize: 512, timeout: Duration.seconds(30), description: 'HTTP API: create, read, list and cancel jobs' },
  callback: { ...STEP, description: 'Provider callbacks: verify, record the result, resume the workflow' },
  validate: { ...STEP, description: 'Workflow Validate: check the request against the provider' },
  'await-slot': { ...STEP, description: 'Workflow AwaitSlot: wait to be handed a slot (task token on the queue entry)' },
  'release-slot': { ...STEP, description: 'Workflow ReleaseSlotAfterFailure: hand the slot to the next waiting job and wake it' },
  submit: { ...STEP, description: "Workflow Submit: take a slot of the provider's pool (or queue), send the job to the provider" },
  'await-result': {
    ...STEP,
    description: 'Workflow AwaitResult: store the task token, resume at once if a result is in (or the safety poll finds one)',
  },
  // Polls a task whose completion is near a few seconds apart within one invocation (at most 80 s: NEAR_POLLING_SECONDS).
  'poll-status': { ...STEP, timeout: Duration.seconds(90), description: 'Workflow PollStatus: ask the provider for the task status' },
  // Streams the video from the provider into S3 (multipart, constant memory); big files take minutes.
  archive: {
    memorySize: 1024,
    timeout: Duration.minutes(15),
    description: 'Workflow Archive: release the slot, copy the video to S3, mark the job SUCCEEDED',
  },
  'mark-failed': { ...STEP, description: 'Workflow MarkFailed: mark the job FAILED, CANCELLED or TIMED_OUT' },
  notify: { ...STEP, description: 'Workflow Notify and NotifyFailure: the SNS notice' },
  webhook: { ...STEP, description: 'Workflow SendWebhook: the signed job webhook (Standard Webhooks)' },
  // Scans every job; starts executions again, sends missing notices, frees leaked slots. Scheduled.
  reconcile: {
    memorySize: 512,
    timeout: Duration.minutes(5),
    description: 'Reconciler: re-drive stuck jobs, send missing notices and webhooks, free leaked slots',
  },
  // Reads the upload's metadata and manifest, creates the job and starts its execution.
  's3-upload': { memorySize: 256, timeout: Duration.seconds(60), description: 'S3 uploads: an image under uploads/ starts a job' },
};

/**
 * Environment every handler function starts with (its own settings are added by the stack).
 *
 * No `NODE_OPTIONS=--enable-source-maps`: it reads and parses the 800 KB source map at every cold start (25 ms
 * more to load mark-failed here, median of 10 paired runs). The map still ships beside `index.js` in each asset,
 * so a minified stack trace can be decoded after the fact; add the option here to decode them in the logs instead.
 * `npm run bench` loads bundles with this environment, so its cold-load figure follows any change.
 */
export const HANDLER_ENVIRONMENT: Readonly<Record<string, string>> = { POWERTOOLS_SERVICE_NAME: 'klingflow' };

/**
 * esbuild settings of every handler bundle: one minified CommonJS file (`index.js`) with its dependencies inside.
 *
 * CommonJS, not ESM: the Lambda runtime `require`s a CommonJS handler, and a required module reaches Node.js's
 * built-ins (`http`, `https`, `crypto`) without the ESM facade. Building that facade for `node:http` reads every
 * export, and one of them loads undici, which `http` otherwise loads only on demand
 * (https://github.com/nodejs/node/issues/59686): 78 ms against 14 ms for `import('node:http')` on Node 24 here.
 * No handler uses top-level await or `import.meta`. Names are not kept (`keepNames` added 43 KB of `__name` calls
 * and their run time): every error class names itself with a `name` field, and nothing reads a function's name.
 */
export const HANDLER_BUNDLING = {
  format: OutputFormat.CJS,
  target: 'node24',
  minify: true,
  keepNames: false,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  // Bundle every dependency (aws-lite, aws4, @aws-sdk/util-dynamodb…), none from the runtime's AWS SDK: one
  // tree-shaken file loads faster, and pins their versions. Left out: the aws-lite modules no request of klingflow's
  // loads ({@link externalModulesOf}, set per handler).
  externalModules: [] as string[],
};

/**
 * Two modules aws-lite vendors and `require`s only when a request needs them (@aws-lite/client's src/lib/index.js):
 * its copy of the AWS SDK's DynamoDB marshaller, for a request that asks aws-lite to marshal (klingflow's DynamoDB
 * client marshals with @aws-sdk/util-dynamodb itself and sends plain JSON, lambdas/aws/clients/dynamo.ts), and
 * fast-xml-parser, for an XML answer (of klingflow's AWS APIs only SNS's query protocol answers in XML; S3 has its
 * own client). esbuild bundles a `require` of a literal path even when it sits in a function never called, so they
 * are marked external (esbuild matches the path as written): 17 KB and 27 KB of a bundle. A request that reached one
 * anyway would fail with "Cannot find module '../_vendor/…'"; test/unit/aws/aws-lite-bundled.test.ts runs every
 * client bundled this way.
 */
export const AWS_LITE_VENDORED = { marshaller: '../_vendor/aws', xmlParser: '../_vendor/xml' } as const;

/** The handlers that call SNS (query protocol, XML answers): their bundles keep aws-lite's XML parser. */
export const SNS_HANDLERS: readonly HandlerName[] = ['notify'];

/** Both of {@link AWS_LITE_VENDORED}: what a bundle that calls no SNS leaves out. */
const EVERY_VENDORED: readonly string[] = Object.values(AWS_LITE_VENDORED);

/** The modules `handler`'s bundle leaves out ({@link AWS_LITE_VENDORED}): the marshaller always, the parser unless it calls SNS. */
export const externalModulesOf = (handler: HandlerName): string[] =>
  SNS_HANDLERS.includes(handler) ? [AWS_LITE_VENDORED.marshaller] : [...EVERY_VENDORED];

/**
 * esbuild `define`s that leave the adapters of providers a deployment does not enable out of a bundle
 * (lambdas/providers/registry.ts): `process.env.KLINGFLOW_OMIT_ADAPTER_<ID>` → `"true"` for each provider id not in
 * `enabledProviders`, `"false"` for each one in it. The default deployment (kling only) bundles one adapter of seven.
 */
export function adapterDefines(enabledProviders: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    PROVIDER_IDS.map((id) => [`process.env.${omitAdapterVariable(id)}`, JSON.stringify(String(!enabledProviders.includes(id)))]),
  );
}

/**
 * {@link HANDLER_BUNDLING} as esbuild's own build options, for builds made outside CDK (`npm run bench`'s bundles, the
 * test of the bundled AWS clients): `entry` bundled to `outfile` exactly as a handler's asset is, for a deployment
 * that enables `enabledProviders` (every provider when not given), leaving out `externalModules` (by default what
 * every handler but SNS's callers leaves out: {@link externalModulesOf}).
 */
export function handlerBuildOptions(
  entry: string,
  outfile: string,
  enabledProviders: readonly string[] = PROVIDER_IDS,
  externalModules: readonly string[] = EVERY_VENDORED,
): BuildOptions {
  return {
    entryPoints: [entry],
    absWorkingDir: PROJECT_ROOT,
    outfile,
    bundle: true,
    platform: 'node',
    format: HANDLER_BUNDLING.format,
    target: HANDLER_BUNDLING.target,
    minify: HANDLER_BUNDLING.minify,
    keepNames: HANDLER_BUNDLING.keepNames,
    sourcemap: HANDLER_BUNDLING.sourceMap,
    sourcesContent: HANDLER_BUNDLING.sourcesContent,
    mainFields: HANDLER_BUNDLING.mainFields,
    define: adapterDefines(enabledProviders),
    external: [...externalModules],
  };
}

export class HandlerFunctions extends Construct {
  readonly byName: Readonly<Record<HandlerName, NodejsFunction>>;
  readonly roles: Readonly<Record<HandlerName, iam.Role>>;
  readonly logGroups: Readonly<Record<HandlerName, logs.LogGroup>>;

  /** `enabledProviders`: the deployment's providers; each bundle carries only their adapters ({@link adapterDefines}). */
  constructor(scope: Construct, id: string, props: { enabledProviders: readonly string[] }) {
    super(scope, id);
    const byName = {} as Record<HandlerName, NodejsFunction>;
    const roles = {} as Record<HandlerName, iam.Role>;
    const logGroups = {} as Record<HandlerName, logs.LogGroup>;

    for (const name of HANDLERS) {
      const constructId = pascalCase(name);
      const logGroup = new logs.LogGroup(this, `${constructId}Logs`, { retention: logs.RetentionDays.ONE_MONTH });
      const role = new iam.Role(this, `${constructId}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `klingflow ${name} handler`,
      });
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'WriteOwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      );

      const fn = new NodejsFunction(this, constructId, {
        description: `klingflow: ${HANDLER_SIZING[name].description}`,
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: HANDLER_SIZING[name].memorySize,
        timeout: HANDLER_SIZING[name].timeout,
        role,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        tracing: lambda.Tracing.ACTIVE,
        environment: { ...HANDLER_ENVIRONMENT },
        ...this.codeOf(name, props.enabledProviders),
      });
      (fn.node.defaultChild as lambda.CfnFunction).addMetadata(HANDLER_METADATA_KEY, name);

      byName[name] = fn;
      roles[name] = role;
      logGroups[name] = logGroup;
    }
    this.byName = byName;
    this.roles = roles;
    this.logGroups = logGroups;
  }

  /**
   * The handler's source as an esbuild entry. A synth that skips bundling (tests, the local stack, `cdk ls`) may run
   * before a handler file exists; NodejsFunction refuses a missing entry even then, so such a synth gets a stub that
   * is never deployed. A synth that bundles still fails on a missing entry, as it should.
   */
  private codeOf(name: HandlerName, enabledProviders: readonly string[]): Partial<ConstructorParameters<typeof NodejsFunction>[2]> {
    const entry = handlerEntry(name);
    if (!existsSync(entry) && !Stack.of(this).bundlingRequired) {
      return {
        code: lambda.Code.fromInline(`throw new Error('klingflow: ${name} was synthesized without bundling');`),
        handler: 'index.handler',
      };
    }
    return {
      entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      bundling: { ...HANDLER_BUNDLING, externalModules: externalModulesOf(name), define: adapterDefines(enabledProviders) },
    };
  }
}

const pascalCase = (name: string): string =>
  name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

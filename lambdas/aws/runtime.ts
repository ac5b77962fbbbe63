// The composition root: the one place that builds the real dependencies of the use cases from the environment
// (env.ts) and the AWS clients (clients.ts). Handlers ask this module for what they need and stay wiring only;
// tests of a use case build the same dependency shapes with fakes instead.
import { providerCatalog, type ProviderCatalog } from '../domain/catalog.ts';
import type { Job } from '../domain/job.ts';
import { shareLinksOf } from '../domain/share-link.ts';
import type { ProviderLookup } from '../domain/validation.ts';
import type { CancelJobDeps } from '../jobs/cancel-job.ts';
import type { CreateJobDeps } from '../jobs/create-job.ts';
import type { DescribeExecution, FailWait, JobRepository, SpendGuard, StartExecution } from '../jobs/ports.ts';
import { PROVIDER_IDS } from '../providers/ids.ts';
import type { AdapterContext, ProviderAdapter } from '../providers/port.ts';
import { getAdapter } from '../providers/registry.ts';
import { estimateCostOf } from '../providers/scaffold.ts';
import type { ExecutionInput, ProviderResult } from '../workflow/contract.ts';
import { admissionTimings } from '../domain/admission.ts';
import type { AdmissionDeps } from '../jobs/admission.ts';
import type { CheckPlanSettings } from '../jobs/next-check.ts';
import { DynamoAdmissionStore } from './admission-store.ts';
import { dynamo, sfn } from './clients.ts';
import { config } from './env.ts';
import { JobStore } from './job-store.ts';
import { SpendStore, spendCaps } from './spend-store.ts';
import { providerCredentials, shareSecret } from './secrets.ts';
import { ProviderError } from '../domain/errors.ts';
import { noteProvider } from './invocation.ts';
import { emitJobMetric } from './metrics.ts';
import { annotate, tracedProviderFetch } from './tracing.ts';
import { describeJobExecution, failWait, resumeWait, resumeWithResult, startJobExecution } from './step-functions.ts';

/** The jobs table of this deployment (or of the local stack). */
export const jobStore = (): JobRepository => new JobStore(dynamo(), config.jobsTable());

/** An enabled provider's adapter with what it needs to talk to its provider. */
export interface ProviderHandle {
  adapter: ProviderAdapter;
  context: AdapterContext;
}

/**
 * The adapter of an enabled provider with its context: base URL, credentials (Secrets Manager on AWS, the
 * environment locally), adapter settings, `fetch` (traced: a `provider <id>` subsegment per call) and the request
 * timeout. Annotates the current trace segment with the provider. Throws `Error` when the provider is not enabled
 * here or has no base URL.
 */
export async function providerFor(providerId: string): Promise<ProviderHandle> {
  if (!config.enabledProviders().includes(providerId)) throw new Error(`provider ${providerId} is not enabled`);
  const adapter = getAdapter(providerId);
  const baseUrl = config.providerBaseUrl(providerId);
  if (!baseUrl) throw new Error(`configuration: provider ${providerId} has no base URL`);
  annotate({ provider: providerId });
  noteProvider(providerId);
  return {
    adapter: countingProviderErrors(adapter, providerId),
    context: {
      baseUrl,
      credentials: await providerCredentials(providerId),
      settings: config.providerSettings(providerId, PROVIDER_IDS),
      fetch: tracedProviderFetch(globalThis.fetch, providerId),
      timeoutMs: config.providerTimeoutMs(),
      now: () => new Date(),
    },
  };
}

/** Adapter calls whose `ProviderError`s are counted (ProviderErrors by provider and kind). */
const COUNTED_CALLS: ReadonlySet<PropertyKey> = new Set(['submit', 'status', 'cancel', 'findSubmitted', 'parseCallback']);

/**
 * The adapter as it is, except that each `ProviderError` its calls throw is counted (metric ProviderErrors, dimensions
 * provider and kind) before it goes on: one place for every handler that talks to a provider.
 */
export function countingProviderErrors(adapter: ProviderAdapter, providerId: string): ProviderAdapter {
  return new Proxy(adapter, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || !COUNTED_CALLS.has(property)) return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (error) {
          if (error instanceof ProviderError) emitJobMetric('ProviderErrors', 1, { provider: providerId, kind: error.kind });
          throw error;
        }
      };
    },
  });
}

/** Capability look-up over the enabled providers, for request validation. */
export function enabledProviderLookup(): ProviderLookup {
  const enabled = config.enabledProviders();
  return {
    enabledProviders: enabled,
    defaultProvider: config.defaultProvider(),
    allowLoopbackCallbackUrls: config.allowLoopbackCallbackUrls(),
    capabilitiesOf: (id) => (enabled.includes(id) ? getAdapter(id).capabilities : undefined),
  };
}

/** Starts a job's execution (named `name`) on this deployment's state machine. */
export const startExecution: StartExecution = (input: ExecutionInput, name: string) =>
  startJobExecution(sfn(), config.stateMachineArn(), input, name);

/** What this deployment's state machine knows of execution `name`. */
export const describeExecution: DescribeExecution = (name: string) => describeJobExecution(sfn(), config.stateMachineArn(), name);

/** The workflow's budget for a job, carried in its execution input. */
export const workflowConfig = (): ExecutionInput['config'] => ({
  awaitSeconds: config.awaitSeconds(),
  maxPolls: config.maxPolls(),
  slotWaitSeconds: config.slotWaitSeconds(),
});

/** How this deployment plans a job's next look at its provider (lambdas/jobs/next-check.ts). */
export const checkPlanSettings = (): CheckPlanSettings => ({
  deadlines: config.deadlines(),
  timeScale: config.waitTimeScale(),
  leaseSeconds: config.slotLeaseSeconds(),
});

/** What admission control needs: the jobs and admission tables, waking waits, and each provider's limits. */
export const admissionDeps = (): AdmissionDeps => ({
  jobs: jobStore(),
  slots: new DynamoAdmissionStore(dynamo(), config.admissionTable()),
  resumeWait: (taskToken, output) => resumeWait(sfn(), taskToken, output),
  failWait: failWorkflowWait,
  limitsOf: (providerId) => config.providerConcurrency(providerId),
  timings: admissionTimings({
    slotWaitSeconds: config.slotWaitSeconds(),
    leaseSeconds: config.slotLeaseSeconds(),
    maxQueueSeconds: config.maxQueueSeconds(),
  }),
  now: () => new Date(),
});

/** What creating a job needs (POST /v1/jobs and the S3 upload trigger alike). */
export const createJobDeps = (): CreateJobDeps => ({
  store: jobStore(),
  providers: { ...enabledProviderLookup(), adapterOf: getAdapter },
  startExecution,
  workflowConfig: workflowConfig(),
  now: () => new Date(),
});

/** The spend guard: its counters table and the caps in force (SSM on AWS, `KLINGFLOW_SPEND_CAPS` locally). */
export const spendGuard = (): SpendGuard => ({ ledger: new SpendStore(dynamo(), config.spendTable()), caps: spendCaps });

/** Ends a workflow wait with a named error. */
export const failWorkflowWait: FailWait = (taskToken, error, cause) => failWait(sfn(), taskToken, error, cause);

/** Wakes a workflow wait with a provider's terminal result; `false` when the wait had already ended. */
export const resumeWorkflowWait = (taskToken: string, result: ProviderResult): Promise<boolean> =>
  resumeWithResult(sfn(), taskToken, result);

/** What cancelling a job needs. */
export const cancelJobDeps = (): CancelJobDeps => ({
  store: jobStore(),
  cancelProviderTask: async (providerId, providerTaskId) => {
    const { adapter, context } = await providerFor(providerId);
    if (!adapter.cancel) return false;
    await adapter.cancel(providerTaskId, context);
    return true;
  },
  failWait: failWorkflowWait,
});

/** The share links of a finished job's outputs, signed with the deployment's share secret (none unless SUCCEEDED). */
export async function shareLinksFor(
  job: Pick<Job, 'jobId' | 'status' | 'finishedAt' | 'outputs'>,
): Promise<{ video?: string; thumbnail?: string }> {
  if (job.status !== 'SUCCEEDED') return {};
  return shareLinksOf(job, await shareSecret(), config.publicUrl(), config.shareLinkSeconds());
}

/** `GET /v1/providers`: the enabled providers' capability maps and price tables, the default marked. */
export function providerCatalogOfDeployment(): ProviderCatalog {
  return providerCatalog(
    config.enabledProviders().map((id) => {
      const adapter = getAdapter(id);
      return {
        id,
        capabilities: adapter.capabilities,
        ...(adapter.estimateCost
          ? { estimateCost: (request: Job['request'], mode: Job['mode']) => estimateCostOf(adapter, request, mode) }
          : {}),
      };
    }),
    config.defaultProvider(),
  );
}

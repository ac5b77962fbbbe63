// The composition root: the one place that builds the real dependencies of the use cases from the environment
// (env.ts) and the AWS clients (clients.ts). Handlers ask this module for what they need and stay wiring only;
// tests of a use case build the same dependency shapes with fakes instead.
import type { Job } from '../domain/job.ts';
import { shareLinksOf } from '../domain/share-link.ts';
import type { ProviderLookup } from '../domain/validation.ts';
import type { CancelJobDeps } from '../jobs/cancel-job.ts';
import type { CreateJobDeps } from '../jobs/create-job.ts';
import type { DescribeExecution, FailWait, JobRepository, StartExecution } from '../jobs/ports.ts';
import { PROVIDER_IDS } from '../providers/ids.ts';
import type { AdapterContext, ProviderAdapter } from '../providers/port.ts';
import { getAdapter } from '../providers/registry.ts';
import type { ExecutionInput, ProviderResult } from '../workflow/contract.ts';
import { admissionTimings } from '../domain/admission.ts';
import type { AdmissionDeps } from '../jobs/admission.ts';
import type { CheckPlanSettings } from '../jobs/next-check.ts';
import { DynamoAdmissionStore } from './admission-store.ts';
import { dynamo, sfn } from './clients.ts';
import { config } from './env.ts';
import { JobStore } from './job-store.ts';
import { providerCredentials, shareSecret } from './secrets.ts';
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
 * environment locally), adapter settings, `fetch` and the request timeout. Throws `Error` when the provider is not
 * enabled here or has no base URL.
 */
export async function providerFor(providerId: string): Promise<ProviderHandle> {
  if (!config.enabledProviders().includes(providerId)) throw new Error(`provider ${providerId} is not enabled`);
  const adapter = getAdapter(providerId);
  const baseUrl = config.providerBaseUrl(providerId);
  if (!baseUrl) throw new Error(`configuration: provider ${providerId} has no base URL`);
  return {
    adapter,
    context: {
      baseUrl,
      credentials: await providerCredentials(providerId),
      settings: config.providerSettings(providerId, PROVIDER_IDS),
      fetch: globalThis.fetch,
      timeoutMs: config.providerTimeoutMs(),
      now: () => new Date(),
    },
  };
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

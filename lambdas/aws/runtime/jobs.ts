// The composition root's use-case dependencies (see store.ts): what creating and cancelling a job need.
import type { CancelJobDeps } from '../../jobs/cancel-job.ts';
import type { CreateJobDeps } from '../../jobs/create-job.ts';
import { enabledProviders, providerFor } from './providers.ts';
import { jobStore } from './store.ts';
import { failWorkflowWait, startExecution, workflowConfig } from './workflow.ts';

/** What creating a job needs (POST /v1/jobs and the S3 upload trigger alike). */
export const createJobDeps = async (): Promise<CreateJobDeps> => ({
  store: jobStore(),
  providers: await enabledProviders(),
  startExecution,
  workflowConfig: workflowConfig(),
  now: () => new Date(),
});

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

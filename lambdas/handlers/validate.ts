// Validate: the stored request is checked again against the provider's capabilities before anything is sent
// (a job can outlive a deployment that changed them). A request that no longer fits fails the job.
import { ValidationFailed } from '../domain/errors.ts';
import { resolveRequest } from '../domain/validation.ts';
import { JobRef } from '../domain/workflow.ts';
import { dynamo } from '../shared/aws-clients.ts';
import { config } from '../shared/config.ts';
import { JobStore } from '../shared/job-store.ts';
import { enabledProviderLookup } from '../shared/providers.ts';
import { taskHandler } from '../shared/task.ts';

export const handler = taskHandler('validate', JobRef, async ({ jobId }) => {
  const job = await new JobStore(dynamo(), config.jobsTable()).require(jobId);
  const resolution = resolveRequest(job.request, enabledProviderLookup());
  if (!resolution.ok) throw new ValidationFailed(resolution.details);
  return { valid: true };
});

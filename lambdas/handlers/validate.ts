// Validate: before anything is sent, the job must fit its provider: options of an upload that could not be read,
// the stored request against the provider's capabilities (a job can outlive a deployment that changed them), and
// stored input images against the provider's image policy. Anything wrong fails the job with the reasons.
import { ValidationFailed } from '../domain/errors.ts';
import { resolveRequest } from '../domain/validation.ts';
import { JobRef } from '../workflow/contract.ts';
import { usesStoredMedia } from '../aws/s3-media.ts';
import { checkStoredImages } from '../aws/stored-images.ts';
import { s3 } from '../aws/clients/s3.ts';
import { config } from '../aws/env.ts';
import { enabledProviders } from '../aws/runtime/providers.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { taskHandler } from '../aws/task-handler.ts';

export const handler = taskHandler('validate', JobRef, async ({ jobId }) => {
  const job = await jobStore().require(jobId);
  if (job.intakeProblems?.length) throw new ValidationFailed(job.intakeProblems);
  // The callback URL was checked when the job was created, by the policy of that moment.
  const { callbackUrl: _checkedAtCreate, ...request } = job.request;
  const providers = await enabledProviders([job.provider]);
  const resolution = resolveRequest(request, providers);
  if (!resolution.ok) throw new ValidationFailed(resolution.details);
  if (usesStoredMedia(job.request)) {
    const policy = providers.capabilitiesOf(job.provider)?.imageInput;
    const problems = await checkStoredImages(s3(), config.inputsBucket(), job.request, policy);
    if (problems.length) throw new ValidationFailed(problems);
  }
  return { valid: true };
});

// Creating the job of an uploaded image. Unlike an API call there is nobody to answer 422 to: options that do
// not fit are recorded on the job (intakeProblems) and the workflow's Validate fails it, with a notice, so a bad
// upload is never silently dropped. The job id comes from the object version, so a redelivered event finds the
// same job and never starts a second execution.
import { modeOf, parseLeniently, type CreateJobRequest, type JobRecord, type ResolvedRequest } from '../domain/job.ts';
import { uploadOwner } from '../domain/caller.ts';
import { hashRequest } from '../domain/job-id.ts';
import { jobIdForUpload, uploadOptions, type SourceObject } from '../domain/uploads.ts';
import { resolveRequest } from '../domain/validation.ts';
import { executionInputOf, executionNameOf } from '../workflow/contract.ts';
import { newJobRecord, type CreateJobDeps } from './create-job.ts';

export interface UploadedImage {
  source: SourceObject;
  /** User metadata of the object (S3 returns the names without `x-amz-meta-`). */
  metadata: Record<string, string>;
  /** The manifest beside the image, if there is one. */
  manifest?: string;
}

/** What a request that cannot be resolved still records: the fields it gave, defaults for the rest. */
function bestEffort(request: CreateJobRequest, deps: CreateJobDeps): ResolvedRequest {
  const provider = request.provider ?? deps.providers.defaultProvider;
  const capabilities = deps.providers.capabilitiesOf(provider);
  const model = capabilities?.models.find((m) => m.id === (request.model ?? capabilities.defaultModel));
  return {
    ...request,
    provider,
    model: request.model ?? capabilities?.defaultModel ?? 'unknown',
    durationSeconds: request.durationSeconds ?? model?.defaultDurationSeconds ?? 5,
    aspectRatio: request.aspectRatio ?? model?.aspectRatios[0] ?? '16:9',
    quality: request.quality ?? model?.qualities[0] ?? 'std',
  };
}

export async function createUploadJob(
  deps: CreateJobDeps,
  upload: UploadedImage,
): Promise<{ jobId: string; provider: string; created: boolean; problems: number }> {
  const jobId = jobIdForUpload(upload.source);
  const existing = await deps.store.get(jobId);
  if (!existing) {
    const options = uploadOptions(upload.source.key, upload.metadata, upload.manifest);
    const parsed = parseLeniently(options.request);
    const problems = [...options.problems, ...parsed.problems];
    // The uploaded image is the input even when the options around it are broken.
    const request: CreateJobRequest = { ...parsed.request, image: { s3Key: upload.source.key } };
    const resolution = resolveRequest(request, deps.providers);
    const allProblems = resolution.ok ? problems : [...problems, ...resolution.details];
    const resolved = resolution.ok ? resolution.request : bestEffort(request, deps);
    const mode = resolution.ok ? resolution.mode : modeOf(request);
    const record = {
      ...newJobRecord(deps, jobId, resolved, mode, hashRequest(request)),
      source: upload.source,
      owner: uploadOwner(upload.metadata, upload.manifest),
      ...(allProblems.length ? { intakeProblems: allProblems } : {}),
    };
    const { created, job } = await deps.store.create(record);
    await start(deps, job);
    return { jobId, provider: job.provider, created, problems: allProblems.length };
  }
  // A redelivered event: make sure the execution runs (the first delivery may have died before starting it), under
  // the job's current execution name (a job the reconciler started again is not started a second time).
  await start(deps, existing);
  return { jobId, provider: existing.provider, created: false, problems: existing.intakeProblems?.length ?? 0 };
}

const start = (deps: CreateJobDeps, job: JobRecord) =>
  deps.startExecution(executionInputOf(job.jobId, deps.workflowConfig), executionNameOf(job));

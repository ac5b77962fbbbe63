// Creating a job: validate against the provider's capabilities, write the record (QUEUED) with a conditional
// put, start the execution named after the job. A retried create (same idempotency key and body) finds the
// same job and never starts a second execution; the same key with another body is a conflict.
import { CreateJobRequest, type JobRecord } from '../domain/job.ts';
import { hashRequest, jobIdForIdempotencyKey, newJobId } from '../domain/job-id.ts';
import type { ProviderAdapter } from '../domain/providers/adapter.ts';
import { resolveRequest, type FieldProblem, type ProviderLookup } from '../domain/validation.ts';
import type { ExecutionInput } from '../domain/workflow.ts';
import type { JobStore } from '../shared/job-store.ts';

export interface CreateJobDeps {
  store: JobStore;
  providers: ProviderLookup & { adapterOf(id: string): ProviderAdapter };
  /** Starts the execution named `input.jobId`; must treat "already exists" as success. */
  startExecution(input: ExecutionInput): Promise<void>;
  workflowConfig: ExecutionInput['config'];
  now(): Date;
}

export type CreateJobOutcome =
  | { kind: 'accepted'; job: JobRecord; created: boolean }
  | { kind: 'invalid'; details: FieldProblem[] }
  | { kind: 'conflict'; jobId: string };

export async function createJob(
  deps: CreateJobDeps,
  body: unknown,
  options: { caller: string; idempotencyKey?: string },
): Promise<CreateJobOutcome> {
  const parsed = CreateJobRequest.safeParse(body);
  if (!parsed.success) {
    return {
      kind: 'invalid',
      details: parsed.error.issues.map((i) => ({ path: i.path.length ? i.path.join('.') : 'body', message: i.message })),
    };
  }
  const resolution = resolveRequest(parsed.data, deps.providers);
  if (!resolution.ok) return { kind: 'invalid', details: resolution.details };

  const { request, mode } = resolution;
  const now = deps.now().toISOString();
  const requestHash = hashRequest(parsed.data);
  const estimate = deps.providers.adapterOf(request.provider).estimateCost(request, mode);
  const record: JobRecord = {
    jobId: options.idempotencyKey ? jobIdForIdempotencyKey(options.caller, options.idempotencyKey) : newJobId(deps.now()),
    kind: 'JOB',
    status: 'QUEUED',
    provider: request.provider,
    model: request.model,
    mode,
    request,
    attempts: 0,
    createdAt: now,
    updatedAt: now,
    requestHash,
    ...(estimate ? { cost: { ...estimate, estimated: true } } : {}),
  };

  const { created, job } = await deps.store.create(record);
  if (!created && job.requestHash !== requestHash) return { kind: 'conflict', jobId: job.jobId };
  // Also on a repeated create: the first attempt may have died between the put and the start.
  await deps.startExecution({ jobId: job.jobId, config: deps.workflowConfig });
  return { kind: 'accepted', job, created };
}

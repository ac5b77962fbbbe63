// Creating a job: validate against the provider's capabilities, write the record (QUEUED) with a conditional
// put, start the execution named after the job. A retried create (same idempotency key and body) finds the
// same job and never starts a second execution; the same key with another body is a conflict.
import { parseLeniently, type JobRecord, type Mode, type ResolvedRequest } from '../domain/job.ts';
import { hashRequest, jobIdForIdempotencyKey, newJobId } from '../domain/job-id.ts';
import type { ProviderAdapter } from '../providers/port.ts';
import { estimateCostOf } from '../providers/scaffold.ts';
import { resolveRequest, type FieldProblem, type ProviderLookup } from '../domain/validation.ts';
import { executionInputOf, executionNameOf, type ExecutionInput } from '../workflow/contract.ts';
import type { JobRepository, SpendGuard, StartExecution } from './ports.ts';
import { checkSpend, type SpendRefusal } from './spend.ts';

export interface CreateJobDeps {
  store: JobRepository;
  providers: ProviderLookup & { adapterOf(id: string): ProviderAdapter };
  /** Starts the execution `name`; must treat "already exists" as success. */
  startExecution: StartExecution;
  workflowConfig: ExecutionInput['config'];
  now(): Date;
  /** The spend caps, checked before anything is written (POST /v1/jobs; uploads are checked at Submit instead). */
  spend?: SpendGuard;
}

export type CreateJobOutcome =
  | { kind: 'accepted'; job: JobRecord; created: boolean }
  | { kind: 'invalid'; details: FieldProblem[] }
  | { kind: 'conflict'; jobId: string }
  | ({ kind: 'over-cap' } & SpendRefusal);

/** A QUEUED job for a resolved request, with the provider's cost estimate. */
export function newJobRecord(
  deps: Pick<CreateJobDeps, 'providers' | 'now'>,
  jobId: string,
  request: ResolvedRequest,
  mode: Mode,
  requestHash: string,
): JobRecord {
  const now = deps.now().toISOString();
  const adapter = deps.providers.capabilitiesOf(request.provider) ? deps.providers.adapterOf(request.provider) : undefined;
  const estimate = adapter ? estimateCostOf(adapter, request, mode) : undefined;
  return {
    jobId,
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
}

/**
 * Creates a job for `body` on behalf of `options.caller` (who scopes the idempotency key, and owns the job unless
 * `options.owner` says otherwise). Answers `invalid` with every problem and writes nothing, `conflict` for a reused
 * key with another body, `over-cap` when the job would cross a spend cap (nothing written), or `accepted` with the
 * job (`created: false` for a repeated create).
 */
export async function createJob(
  deps: CreateJobDeps,
  body: unknown,
  options: { caller: string; idempotencyKey?: string; owner?: string },
): Promise<CreateJobOutcome> {
  // Every problem at once: fields that do not fit the schema, and what the rest asks of the provider.
  const parsed = parseLeniently(body);
  const resolution = resolveRequest(parsed.request, deps.providers);
  const details = [
    ...parsed.problems,
    ...(resolution.ok ? [] : resolution.details.filter((d) => !parsed.problems.some((p) => p.path === d.path))),
  ];
  if (details.length || !resolution.ok) return { kind: 'invalid', details };

  // The request as it will run (defaults filled in), so a retry that spells out a default finds the same job.
  const requestHash = hashRequest(resolution.request);
  const jobId = options.idempotencyKey ? jobIdForIdempotencyKey(options.caller, options.idempotencyKey) : newJobId(deps.now());
  const record = {
    ...newJobRecord(deps, jobId, resolution.request, resolution.mode, requestHash),
    owner: options.owner ?? options.caller,
  };

  if (deps.spend) {
    const refusal = await checkSpend(deps.spend, record.provider, record.cost, deps.now());
    // A retried create of a job that exists is answered as before: it was admitted when it was made.
    if (refusal && !(options.idempotencyKey && (await deps.store.get(jobId)))) return { kind: 'over-cap', ...refusal };
  }
  const { created, job } = await deps.store.create(record);
  if (!created && job.requestHash !== requestHash) return { kind: 'conflict', jobId: job.jobId };
  // Also on a repeated create: the first attempt may have died between the put and the start. Under the job's current
  // execution name, so a job the reconciler has started again is not started a second time.
  await deps.startExecution(executionInputOf(job.jobId, deps.workflowConfig), executionNameOf(job));
  return { kind: 'accepted', job, created };
}

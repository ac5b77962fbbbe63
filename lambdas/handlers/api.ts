// The authenticated REST surface (API.md): create, get, list, cancel, and the video link.
// Thin: each route parses its input, calls the job code, and maps the outcome to HTTP.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { z } from 'zod';
import { JobStatus, isTerminal, toPublicJob, type JobRecord } from '../domain/job.ts';
import { getAdapter } from '../providers/registry.ts';
import { callerOf, errorResponse, json, parseJsonBody, zodDetails, type HttpEvent, type HttpResult } from '../http/responses.ts';
import { createJob } from '../jobs/create-job.ts';
import { JobAlreadyFinished } from '../domain/errors.ts';
import { startJobExecution } from '../aws/step-functions.ts';
import { failWait } from '../aws/task-token.ts';
import { config } from '../aws/env.ts';
import { dynamo, s3, sfn } from '../aws/clients.ts';
import { InvalidCursor, JobStore } from '../aws/job-store.ts';
import { logger } from '../aws/logger.ts';
import { enabledProviderLookup, provider } from '../aws/providers.ts';

const store = () => new JobStore(dynamo(), config.jobsTable());

const links = (jobId: string) => ({ self: `/v1/jobs/${jobId}`, video: `/v1/jobs/${jobId}/video`, thumbnail: `/v1/jobs/${jobId}/thumbnail` });

const notFound = (jobId: string) => errorResponse(404, 'NOT_FOUND', `no job ${jobId}`);

async function create(event: HttpEvent): Promise<HttpResult> {
  const body = parseJsonBody(event);
  if (!body.ok) return body.response;
  const idempotencyKey = event.headers['idempotency-key'];
  if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
    return errorResponse(400, 'MALFORMED_REQUEST', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
  }
  const lookup = enabledProviderLookup();
  const outcome = await createJob(
    {
      store: store(),
      providers: { ...lookup, adapterOf: getAdapter },
      startExecution: (input) => startJobExecution(sfn(), config.stateMachineArn(), input),
      workflowConfig: { awaitSeconds: config.awaitSeconds(), maxPolls: config.maxPolls() },
      now: () => new Date(),
    },
    body.value,
    { caller: callerOf(event), idempotencyKey },
  );
  switch (outcome.kind) {
    case 'invalid':
      return errorResponse(422, 'VALIDATION_FAILED', 'the job request is not valid for the chosen provider and model', outcome.details);
    case 'conflict':
      return errorResponse(409, 'IDEMPOTENCY_CONFLICT', `Idempotency-Key was used for job ${outcome.jobId} with a different body`);
    case 'accepted':
      logger.info('job accepted', { jobId: outcome.job.jobId, created: outcome.created, provider: outcome.job.provider });
      return json(202, { jobId: outcome.job.jobId, status: outcome.job.status, links: links(outcome.job.jobId) }, {
        location: `/v1/jobs/${outcome.job.jobId}`,
      });
  }
}

async function get(jobId: string): Promise<HttpResult> {
  const job = await store().get(jobId);
  return job ? json(200, toPublicJob(job)) : notFound(jobId);
}

const ListQuery = z.strictObject({
  status: JobStatus.optional(),
  provider: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).optional(),
});

async function list(event: HttpEvent): Promise<HttpResult> {
  const query = ListQuery.safeParse(event.queryStringParameters ?? {});
  if (!query.success) {
    return errorResponse(
      400,
      'MALFORMED_REQUEST',
      'invalid query',
      zodDetails(query.error, 'query'),
    );
  }
  try {
    const page = await store().list(query.data);
    return json(200, { items: page.items.map(toPublicJob), nextCursor: page.nextCursor ?? null });
  } catch (error) {
    if (error instanceof InvalidCursor) return errorResponse(400, 'MALFORMED_REQUEST', error.message, [{ path: 'cursor', message: error.message }]);
    throw error;
  }
}

async function download(jobId: string, output: 'video' | 'thumbnail'): Promise<HttpResult> {
  const job = await store().get(jobId);
  if (!job) return notFound(jobId);
  if (job.status !== 'SUCCEEDED') {
    return errorResponse(409, 'NOT_READY', `job ${jobId} is ${job.status}; its ${output} is available once it has SUCCEEDED`);
  }
  const stored = job.outputs?.[output];
  if (!stored) return errorResponse(404, 'NOT_FOUND', `job ${jobId} has no ${output} (its provider gives none)`);
  // Signed now, for this click: a link made at notification time would die with the signer's session.
  const url = await getSignedUrl(s3(), new GetObjectCommand({ Bucket: stored.bucket, Key: stored.key }), {
    expiresIn: config.downloadUrlSeconds(),
  });
  return { statusCode: 302, headers: { location: url, 'cache-control': 'no-store' } };
}

async function cancel(jobId: string): Promise<HttpResult> {
  const s = store();
  const job = await s.get(jobId);
  if (!job) return notFound(jobId);
  if (isTerminal(job.status)) return errorResponse(409, 'ALREADY_FINISHED', `job ${jobId} has already finished: ${job.status}`);
  const cancelled = await s.finish(jobId, 'CANCELLED', { error: { code: 'CANCELLED', message: 'cancelled by the caller', retryable: false } });
  if (!cancelled) return errorResponse(409, 'ALREADY_FINISHED', `job ${jobId} has just finished: ${(await s.require(jobId)).status}`);
  await cancelAtProvider(job);
  // The workflow ends the job's run itself, through its failure path, so the notice and webhook go out: wake the
  // wait it may be in; a step it is in finds the job ended (jobs/active-job.ts).
  if (job.taskToken) await failWait(sfn(), job.taskToken, new JobAlreadyFinished().name, 'cancelled by the caller');
  return json(200, toPublicJob(cancelled));
}

/** Best effort: a provider without cancel keeps generating, but the job no longer waits for it. */
async function cancelAtProvider(job: JobRecord): Promise<void> {
  if (!job.providerTaskId) return;
  try {
    const { adapter, context } = await provider(job.provider);
    await adapter.cancel?.(job.providerTaskId, context);
  } catch (error) {
    logger.warn('provider cancel failed; the job is cancelled anyway', { jobId: job.jobId, error: (error as Error).message });
  }
}

export async function handler(event: HttpEvent): Promise<HttpResult> {
  const jobId = event.pathParameters?.jobId ?? '';
  try {
    switch (event.routeKey) {
      case 'POST /v1/jobs':
        return await create(event);
      case 'GET /v1/jobs':
        return await list(event);
      case 'GET /v1/jobs/{jobId}':
        return await get(jobId);
      case 'DELETE /v1/jobs/{jobId}':
        return await cancel(jobId);
      case 'GET /v1/jobs/{jobId}/video':
        return await download(jobId, 'video');
      case 'GET /v1/jobs/{jobId}/thumbnail':
        return await download(jobId, 'thumbnail');
      default:
        return errorResponse(404, 'NOT_FOUND', `no route ${event.routeKey}`);
    }
  } catch (error) {
    // The caller sent nothing wrong: say so without internals, log the rest.
    logger.error('request failed', { routeKey: event.routeKey, jobId, error: error as Error });
    return errorResponse(500, 'INTERNAL', 'the request could not be completed; try again');
  }
}

// The authenticated REST surface (docs/api.md, "Routes"): create, get, list, cancel, and the download links.
// Thin: each route parses its input, calls a use case or the job store, and maps the outcome to HTTP. Whatever a
// client sends is answered with a 4xx that names the field (docs/api.md, "Errors"); a 5xx means klingflow failed.
import * as z from 'zod';
import { JobStatus, jobIdProblem, toPublicJob } from '../domain/job.ts';
import { checkShareLink, SHARE_QUERY } from '../domain/share-link.ts';
import {
  callerOf,
  errorResponse,
  fieldError,
  headerOf,
  json,
  parseJsonBody,
  zodDetails,
  type HttpEvent,
  type HttpResult,
} from '../http/responses.ts';
import { cancelJob } from '../jobs/cancel-job.ts';
import { createJob } from '../jobs/create-job.ts';
import { InvalidCursor } from '../jobs/ports.ts';
import { s3 } from '../aws/clients/s3.ts';
import { config } from '../aws/env.ts';
import { logger } from '../aws/logger.ts';
import { presignDownload } from '../aws/presign.ts';
import { cancelJobDeps, createJobDeps } from '../aws/runtime/jobs.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { shareSecret } from '../aws/secrets.ts';

const links = (jobId: string) => ({
  self: `/v1/jobs/${jobId}`,
  video: `/v1/jobs/${jobId}/video`,
  thumbnail: `/v1/jobs/${jobId}/thumbnail`,
});

const notFound = (jobId: string) => fieldError(404, 'NOT_FOUND', 'jobId', 'names no job', `no job ${jobId}`);

/** Longest cursor accepted (characters); the ones this API hands out are a few hundred. */
const MAX_CURSOR_LENGTH = 1024;

async function create(event: HttpEvent): Promise<HttpResult> {
  const body = parseJsonBody(event);
  if (!body.ok) return body.response;
  const idempotencyKey = headerOf(event, 'idempotency-key');
  if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
    return fieldError(
      400,
      'MALFORMED_REQUEST',
      'Idempotency-Key',
      'must be 1 to 255 visible ASCII characters',
      'Idempotency-Key must be 1 to 255 visible ASCII characters',
    );
  }
  const outcome = await createJob(await createJobDeps(), body.value, { caller: callerOf(event), idempotencyKey });
  switch (outcome.kind) {
    case 'invalid':
      return errorResponse(422, 'VALIDATION_FAILED', 'the job request is not valid for the chosen provider and model', outcome.details);
    case 'conflict':
      return errorResponse(409, 'IDEMPOTENCY_CONFLICT', `Idempotency-Key was used for job ${outcome.jobId} with a different body`, [
        { path: 'Idempotency-Key', message: `was used for job ${outcome.jobId} with a different body; use a new key for a new job` },
      ]);
    case 'accepted':
      logger.info('job accepted', { jobId: outcome.job.jobId, created: outcome.created, provider: outcome.job.provider });
      return json(
        202,
        { jobId: outcome.job.jobId, status: outcome.job.status, links: links(outcome.job.jobId) },
        {
          location: `/v1/jobs/${outcome.job.jobId}`,
        },
      );
  }
}

async function get(jobId: string): Promise<HttpResult> {
  const job = await jobStore().get(jobId);
  return job ? json(200, toPublicJob(job)) : notFound(jobId);
}

const ListQuery = z.strictObject({
  status: JobStatus.optional(),
  provider: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .min(1)
    .max(MAX_CURSOR_LENGTH)
    .regex(/^[A-Za-z0-9_-]+$/, { message: 'is not a cursor this API returned (pass nextCursor back as it is)' })
    .optional(),
});

async function list(event: HttpEvent): Promise<HttpResult> {
  const query = ListQuery.safeParse(event.queryStringParameters ?? {});
  if (!query.success) {
    const details = query.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({
            path: key || 'query',
            message: `${key ? 'unknown parameter' : 'a parameter without a name'}; allowed: status, provider, limit, cursor`,
          }))
        : zodDetails({ issues: [issue] } as z.ZodError, 'query'),
    );
    return errorResponse(400, 'MALFORMED_REQUEST', 'invalid query', details);
  }
  try {
    const page = await jobStore().list(query.data);
    return json(200, { items: page.items.map(toPublicJob), nextCursor: page.nextCursor ?? null });
  } catch (error) {
    if (error instanceof InvalidCursor) return fieldError(400, 'MALFORMED_REQUEST', 'cursor', error.message);
    throw error;
  }
}

async function download(jobId: string, output: 'video' | 'thumbnail'): Promise<HttpResult> {
  const job = await jobStore().get(jobId);
  if (!job) return notFound(jobId);
  if (job.status !== 'SUCCEEDED') {
    return fieldError(
      409,
      'NOT_READY',
      'jobId',
      `names a job that is ${job.status}`,
      `job ${jobId} is ${job.status}; its ${output} is available once it has SUCCEEDED`,
    );
  }
  const stored = job.outputs?.[output];
  if (!stored)
    return fieldError(404, 'NOT_FOUND', output, 'does not exist for this job', `job ${jobId} has no ${output} (its provider gives none)`);
  // Signed now, for this click: a link made at notification time would die with the signer's session.
  const url = await presignDownload(s3(), stored, config.downloadUrlSeconds());
  return { statusCode: 302, headers: { location: url, 'cache-control': 'no-store' } };
}

/**
 * A share link from a notice or webhook: no credentials, the link's own signature instead. Checked before the job is
 * read, so an altered or expired link learns nothing about the job; a good one is answered like `/video`.
 */
async function openShareLink(event: HttpEvent, jobId: string): Promise<HttpResult> {
  const query = event.queryStringParameters ?? {};
  const check = checkShareLink(
    await shareSecret(),
    { jobId, object: event.pathParameters?.object ?? '', expires: query[SHARE_QUERY.expires], signature: query[SHARE_QUERY.signature] },
    new Date(),
  );
  // The link as a whole is the field at fault: which of its parts does not matter to a person holding it.
  if (!check.ok) return fieldError(403, 'LINK_REFUSED', 'link', check.reason, check.reason);
  return download(jobId, check.grant.object);
}

async function cancel(jobId: string): Promise<HttpResult> {
  const outcome = await cancelJob(cancelJobDeps(), jobId);
  switch (outcome.kind) {
    case 'not-found':
      return notFound(jobId);
    case 'already-finished':
      return fieldError(
        409,
        'ALREADY_FINISHED',
        'jobId',
        'names a job that has already finished',
        `job ${jobId} has already finished: ${outcome.status}`,
      );
    case 'cancelled':
      if (typeof outcome.providerCancel === 'object') {
        logger.warn('provider cancel failed; the job is cancelled anyway', { jobId, error: outcome.providerCancel.failed });
      }
      return json(200, toPublicJob(outcome.job));
  }
}

/** The `{jobId}` of an id route, or the 400 that names it: checked before anything is read. */
function jobIdOf(event: HttpEvent): { ok: true; jobId: string } | { ok: false; response: HttpResult } {
  const jobId = event.pathParameters?.jobId ?? '';
  const problem = jobIdProblem(jobId);
  return problem ? { ok: false, response: fieldError(400, 'MALFORMED_REQUEST', 'jobId', problem) } : { ok: true, jobId };
}

async function route(event: HttpEvent): Promise<HttpResult> {
  switch (event.routeKey) {
    case 'POST /v1/jobs':
      return create(event);
    case 'GET /v1/jobs':
      return list(event);
    case 'GET /v1/jobs/{jobId}':
    case 'DELETE /v1/jobs/{jobId}':
    case 'GET /v1/jobs/{jobId}/video':
    case 'GET /v1/jobs/{jobId}/thumbnail':
    case 'GET /v1/share/{jobId}/{object}': {
      const id = jobIdOf(event);
      if (!id.ok) return id.response;
      if (event.routeKey === 'GET /v1/jobs/{jobId}') return get(id.jobId);
      if (event.routeKey === 'DELETE /v1/jobs/{jobId}') return cancel(id.jobId);
      if (event.routeKey === 'GET /v1/share/{jobId}/{object}') return openShareLink(event, id.jobId);
      return download(id.jobId, event.routeKey.endsWith('/video') ? 'video' : 'thumbnail');
    }
    default:
      return fieldError(404, 'NOT_FOUND', 'route', `${event.routeKey} is not a route of this API`, `no route ${event.routeKey}`);
  }
}

export async function handler(event: HttpEvent): Promise<HttpResult> {
  try {
    return await route(event);
  } catch (error) {
    // The caller sent nothing wrong (everything a caller can get wrong is answered above): say so without
    // internals, log the rest.
    logger.error('request failed', { routeKey: event.routeKey, error: error as Error });
    return errorResponse(500, 'INTERNAL', 'the request could not be completed; try again');
  }
}

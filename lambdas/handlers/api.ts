// The REST surface (docs/api.md, "Routes"): create, get, list, cancel, the download and share links, uploads
// through the API, the provider catalog and the OpenAPI document.
// Thin: each route parses its input, calls a use case or the job store, and maps the outcome to HTTP. Whatever a
// client sends is answered with a 4xx that names the field (docs/api.md, "Errors"); a 5xx means klingflow failed.
import type * as z from '../domain/zod.ts';
import { type Caller, canSee } from '../domain/caller.ts';
import { type JobRecord, jobIdProblem, toPublicJob } from '../domain/job.ts';
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
import { openApiDocument } from '../http/openapi.ts';
import { ListJobsQuery, type SignedOutputUrl, type UploadTicket } from '../http/schemas.ts';
import { cancelJob } from '../jobs/cancel-job.ts';
import { createJob } from '../jobs/create-job.ts';
import { planUpload } from '../jobs/plan-upload.ts';
import { InvalidCursor } from '../jobs/ports.ts';
import { isProviderId, PROVIDER_IDS } from '../providers/ids.ts';
import { s3 } from '../aws/clients/s3.ts';
import { config } from '../aws/env.ts';
import { logger } from '../aws/logger.ts';
import { emitMetric } from '../aws/metrics.ts';
import { presignDownload, presignUpload } from '../aws/presign.ts';
import { cancelJobDeps, createJobDeps } from '../aws/runtime/jobs.ts';
import { providerCatalogOfDeployment } from '../aws/runtime/catalog.ts';
import { enabledProviders } from '../aws/runtime/providers.ts';
import { spendGuard } from '../aws/runtime/spend.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { writeManifest } from '../aws/s3-uploads.ts';
import { shareSecret } from '../aws/secrets.ts';

const links = (jobId: string) => ({
  self: `/v1/jobs/${jobId}`,
  video: `/v1/jobs/${jobId}/video`,
  thumbnail: `/v1/jobs/${jobId}/thumbnail`,
});

const notFound = (jobId: string) => fieldError(404, 'NOT_FOUND', 'jobId', 'names no job', `no job ${jobId}`);

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
  const caller = callerOf(event, config.adminPrincipals());
  const outcome = await createJob({ ...(await createJobDeps()), spend: spendGuard() }, body.value, {
    caller: caller.owner,
    idempotencyKey,
  });
  switch (outcome.kind) {
    case 'invalid':
      return errorResponse(422, 'VALIDATION_FAILED', 'the job request is not valid: details name each problem', outcome.details);
    case 'conflict':
      return errorResponse(409, 'IDEMPOTENCY_CONFLICT', `Idempotency-Key was used for job ${outcome.jobId} with a different body`, [
        { path: 'Idempotency-Key', message: `was used for job ${outcome.jobId} with a different body; use a new key for a new job` },
      ]);
    case 'over-cap': {
      // 429: the request is fine, the budget is spent; it may be sent again once the period resets.
      const resetSeconds = Math.max(1, Math.ceil((Date.parse(outcome.resetsAt) - Date.now()) / 1000));
      return {
        ...errorResponse(429, 'SPEND_CAP_REACHED', outcome.message, [
          { path: outcome.breach.counter.scope === 'total' ? 'body' : 'provider', message: outcome.message },
        ]),
        headers: { 'content-type': 'application/json', 'retry-after': String(resetSeconds) },
      };
    }
    case 'accepted':
      if (outcome.created)
        emitMetric({ name: 'JobsCreated', value: 1, dimensions: { provider: outcome.job.provider }, jobId: outcome.job.jobId });
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

/**
 * The job `jobId` if `caller` may see it (its own, or any for an admin); `undefined` for a job that does not exist
 * and for another caller's alike, so the answer (404) tells nobody which ids exist.
 */
async function visibleJob(jobId: string, caller: Caller | 'bearer-link'): Promise<JobRecord | undefined> {
  const job = await jobStore().get(jobId);
  return job && (caller === 'bearer-link' || canSee(caller, job)) ? job : undefined;
}

async function get(jobId: string, caller: Caller): Promise<HttpResult> {
  const job = await visibleJob(jobId, caller);
  return job ? json(200, toPublicJob(job)) : notFound(jobId);
}

async function list(event: HttpEvent): Promise<HttpResult> {
  const query = ListJobsQuery.safeParse(event.queryStringParameters ?? {});
  if (!query.success) {
    const details = query.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({
            path: key || 'query',
            message: `${key ? 'unknown parameter' : 'a parameter without a name'}; allowed: status, provider, limit, cursor`,
          }))
        : zodDetails({ issues: [issue] } as z.core.$ZodError, 'query'),
    );
    return errorResponse(400, 'MALFORMED_REQUEST', 'invalid query', details);
  }
  if (query.data.provider !== undefined && !isProviderId(query.data.provider)) {
    return fieldError(400, 'MALFORMED_REQUEST', 'provider', `must be one of ${PROVIDER_IDS.join(', ')}`);
  }
  try {
    const caller = callerOf(event, config.adminPrincipals());
    // An admin lists every job; anyone else their own (the byOwner index).
    const page = await jobStore().list({ ...query.data, ...(caller.admin ? {} : { owner: caller.owner }) });
    return json(200, { items: page.items.map(toPublicJob), nextCursor: page.nextCursor ?? null });
  } catch (error) {
    if (error instanceof InvalidCursor) return fieldError(400, 'MALFORMED_REQUEST', 'cursor', error.message);
    throw error;
  }
}

/**
 * Whether the caller asked for the signed URL as JSON (`Accept: application/json`) rather than a redirect: a browser
 * page cannot put its credentials on a `<video src>`, so the console fetches the URL first and plays it.
 */
const wantsJson = (event: HttpEvent): boolean => /\bapplication\/json\b/i.test(headerOf(event, 'accept') ?? '');

/**
 * `caller` is whoever sent the request, or `bearer-link`: a share link, which is a capability of its own. `as`: a
 * redirect to the signed URL, or the URL as JSON.
 */
async function download(
  jobId: string,
  output: 'video' | 'thumbnail',
  caller: Caller | 'bearer-link',
  as: 'redirect' | 'json' = 'redirect',
): Promise<HttpResult> {
  const job = await visibleJob(jobId, caller);
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
  const lifetimeSeconds = config.downloadUrlSeconds();
  const url = await presignDownload(s3(), stored, lifetimeSeconds);
  if (as === 'json') {
    const expiresAt = new Date(Date.now() + lifetimeSeconds * 1000).toISOString();
    const answer: SignedOutputUrl = { url, expiresAt, contentType: stored.contentType, bytes: stored.bytes };
    return json(200, answer, { 'cache-control': 'no-store' });
  }
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
  return download(jobId, check.grant.object, 'bearer-link');
}

async function cancel(jobId: string, caller: Caller): Promise<HttpResult> {
  const outcome = await cancelJob(cancelJobDeps(), jobId, (job) => canSee(caller, job));
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

/**
 * `POST /v1/uploads`: checks the file and the job options against the provider (every problem at once, 422), writes
 * the options as the manifest beside the ticket's key, and answers a presigned PUT for the image (201).
 */
async function createUpload(event: HttpEvent): Promise<HttpResult> {
  const body = parseJsonBody(event);
  if (!body.ok) return body.response;
  const plan = planUpload(await enabledProviders(), body.value, config.inputsBucket());
  if (!plan.ok) return errorResponse(422, 'VALIDATION_FAILED', 'the upload request is not valid: details name each problem', plan.details);
  // The job the image starts belongs to whoever asked for the ticket: the manifest, written here, says so.
  const { owner } = callerOf(event, config.adminPrincipals());
  const manifest = JSON.stringify({ ...(JSON.parse(plan.manifest) as Record<string, unknown>), owner });
  await writeManifest(s3(), plan.bucket, plan.key, manifest);
  const expiresAt = new Date(Date.now() + plan.expiresInSeconds * 1000);
  const url = await presignUpload(
    s3(),
    { bucket: plan.bucket, key: plan.key, contentType: plan.contentType, bytes: plan.bytes },
    plan.expiresInSeconds,
  );
  logger.info('upload ticket issued', { jobId: plan.jobId, uploadId: plan.uploadId });
  const ticket: UploadTicket = {
    uploadId: plan.uploadId,
    jobId: plan.jobId,
    bucket: plan.bucket,
    key: plan.key,
    upload: { method: 'PUT', url, headers: { 'content-type': plan.contentType, 'content-length': String(plan.bytes) } },
    expiresAt: expiresAt.toISOString(),
    links: { job: `/v1/jobs/${plan.jobId}` },
  };
  return json(201, ticket, { 'cache-control': 'no-store' });
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
    case 'POST /v1/uploads':
      return createUpload(event);
    case 'GET /v1/providers':
      return json(200, await providerCatalogOfDeployment());
    case 'GET /v1/openapi.json':
      return json(200, openApiDocument(config.publicUrl()), { 'cache-control': 'public, max-age=300' });
    case 'GET /v1/jobs/{jobId}':
    case 'DELETE /v1/jobs/{jobId}':
    case 'GET /v1/jobs/{jobId}/video':
    case 'GET /v1/jobs/{jobId}/thumbnail':
    case 'GET /v1/share/{jobId}/{object}': {
      const id = jobIdOf(event);
      if (!id.ok) return id.response;
      if (event.routeKey === 'GET /v1/share/{jobId}/{object}') return openShareLink(event, id.jobId);
      const caller = callerOf(event, config.adminPrincipals());
      if (event.routeKey === 'GET /v1/jobs/{jobId}') return get(id.jobId, caller);
      if (event.routeKey === 'DELETE /v1/jobs/{jobId}') return cancel(id.jobId, caller);
      return download(id.jobId, event.routeKey.endsWith('/video') ? 'video' : 'thumbnail', caller, wantsJson(event) ? 'json' : 'redirect');
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

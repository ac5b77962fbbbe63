// The bodies of the HTTP API (docs/api.md) as zod schemas: the one source the handlers answer with, the OpenAPI
// document (openapi.ts) is generated from, and the typed client (cli/api-client.ts) takes its types from. The job
// model's own schemas (domain/job.ts, domain/catalog.ts, domain/uploads.ts) are reused, never copied.
import * as z from '../domain/zod.ts';
import { CreateJobRequest, Job, JOB_STATUSES, JobStatus } from '../domain/job.ts';

export { CreateJobRequest, Job, JobStatus };
export { ProviderCatalog } from '../domain/catalog.ts';
export { UploadRequest } from '../domain/uploads.ts';

/** One problem with a request: the field at fault and what is wrong with it (and what is allowed). */
export const ErrorDetail = z.object({ path: z.string(), message: z.string() });

/** Every 4xx and 5xx klingflow answers itself (API Gateway's own refusals on AWS are `{message}` instead). */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string().check(z.describe('e.g. VALIDATION_FAILED, MALFORMED_REQUEST, NOT_FOUND, UNAUTHORIZED')),
    message: z.string(),
    details: z.optional(z.array(ErrorDetail)).check(z.describe('one entry per problem; absent when there is none to name')),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Where a job can be read and its outputs fetched. */
export const JobLinks = z.object({ self: z.string(), video: z.string(), thumbnail: z.string() });

/** `202` answer of `POST /v1/jobs`. */
export const JobAccepted = z.object({ jobId: z.string(), status: JobStatus, links: JobLinks });
export type JobAccepted = z.infer<typeof JobAccepted>;

/** `200` answer of `GET /v1/jobs`: one page, newest first; `nextCursor` null on the last page. */
export const JobList = z.object({ items: z.array(Job), nextCursor: z.nullable(z.string()) });
export type JobList = z.infer<typeof JobList>;

/** Longest cursor accepted (characters); the ones this API hands out are a few hundred. */
export const MAX_CURSOR_LENGTH = 1024;

/** What `limit` of `GET /v1/jobs` allows, said on every refusal of it. */
const LIMIT_RULE = 'must be a whole number from 1 to 100, given once (default 20)';

/** A value of a list parameter: API Gateway joins a parameter given twice with a comma, which no value holds. */
const once = (name: string, rule: string) =>
  z.string().check(z.refine((value) => !value.includes(','), { message: `${rule}; ${name} was given more than once`, abort: true }));

/** The query of `GET /v1/jobs`. Unknown parameters are refused; each refusal says what is allowed. */
export const ListJobsQuery = z.strictObject({
  status: z.optional(
    z.pipe(
      once('status', `must be one of ${JOB_STATUSES.join(', ')}`),
      z.enum(JOB_STATUSES, { message: `must be one of ${JOB_STATUSES.join(', ')} (upper case)` }),
    ),
  ),
  /** A provider id; the handler refuses one that names no provider (the ids are not this contract's to know). */
  provider: z.optional(z.pipe(once('provider', 'must be a provider id'), z.string().check(z.minLength(1), z.maxLength(64)))),
  limit: z._default(
    z.pipe(
      z.pipe(once('limit', LIMIT_RULE).check(z.regex(/^\d{1,3}$/, { message: LIMIT_RULE })), z.transform(Number)),
      z.number().check(z.gte(1, { message: LIMIT_RULE }), z.lte(100, { message: LIMIT_RULE })),
    ),
    20,
  ),
  cursor: z.optional(
    z
      .string()
      .check(
        z.minLength(1),
        z.maxLength(MAX_CURSOR_LENGTH),
        z.regex(/^[A-Za-z0-9_-]+$/, { message: 'is not a cursor this API returned (pass nextCursor back as it is)' }),
      ),
  ),
});

/**
 * `201` answer of `POST /v1/uploads`: where to PUT the image (exactly these headers, before `expiresAt`), and the job
 * it will become. The job exists once S3 has told the upload trigger (`GET` on `links.job` answers 404 until then).
 */
export const UploadTicket = z.object({
  uploadId: z.string(),
  jobId: z.string(),
  bucket: z.string(),
  key: z.string(),
  upload: z.object({
    method: z.literal('PUT'),
    url: z.string().check(z.describe('a presigned S3 URL; needs no credentials')),
    headers: z.record(z.string(), z.string()).check(z.describe('send exactly these (content-type, content-length)')),
  }),
  expiresAt: z.string().check(z.describe('ISO 8601; the URL is refused after it')),
  links: z.object({ job: z.string() }),
});
export type UploadTicket = z.infer<typeof UploadTicket>;

/**
 * `200` answer of `GET /v1/jobs/{jobId}/video` and `/thumbnail` sent with `Accept: application/json`: the signed URL
 * the redirect would name (a page cannot put credentials on a `<video src>`, so the web console asks for it).
 */
export const SignedOutputUrl = z.object({
  url: z.string().check(z.describe('a presigned S3 GET URL; needs no credentials')),
  expiresAt: z.string().check(z.describe('ISO 8601; the URL is refused after it')),
  contentType: z.string(),
  bytes: z.number().check(z.int(), z.nonnegative()),
});
export type SignedOutputUrl = z.infer<typeof SignedOutputUrl>;

/** `200` answer of `GET /v1/jobs/{jobId}` and `DELETE /v1/jobs/{jobId}`. */
export const JobBody = Job;

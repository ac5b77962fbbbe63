// The job: the create request a caller sends (docs/api.md, "Create body") and the record klingflow keeps.
// Everything at the HTTP boundary is parsed with these schemas; the types come from them.
import { z } from 'zod';

export const JOB_STATUSES = ['QUEUED', 'SUBMITTED', 'PROCESSING', 'ARCHIVING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'] as const;
export const JobStatus = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatus>;

export const TERMINAL_STATUSES: readonly JobStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];
export const isTerminal = (status: JobStatus): boolean => TERMINAL_STATUSES.includes(status);

export const MODES = ['text-to-video', 'image-to-video', 'reference-to-video', 'video-edit', 'multi-shot'] as const;
export const Mode = z.enum(MODES);
export type Mode = z.infer<typeof Mode>;

const MediaRef = z
  .union([
    z.strictObject({ url: z.url({ protocol: /^https?$/ }).describe('a public http(s) URL') }),
    z.strictObject({ s3Key: z.string().min(1).max(1024) }),
  ])
  .describe('either {url} or {s3Key}');
export type MediaRef = z.infer<typeof MediaRef>;

const CameraControl = z.strictObject({
  type: z.enum(['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward']),
  config: z
    .strictObject({
      horizontal: z.number().min(-10).max(10).optional(),
      vertical: z.number().min(-10).max(10).optional(),
      pan: z.number().min(-10).max(10).optional(),
      tilt: z.number().min(-10).max(10).optional(),
      roll: z.number().min(-10).max(10).optional(),
      zoom: z.number().min(-10).max(10).optional(),
    })
    .optional(),
});

const Metadata = z
  .record(z.string().max(128), z.string().max(1024))
  .refine((m) => Buffer.byteLength(JSON.stringify(m)) <= 2048, { message: 'metadata must be at most 2 KB as JSON' });

/** The create body of `POST /v1/jobs`. Unknown fields are refused, so a typo never silently does nothing. */
export const CreateJobRequest = z.strictObject({
  provider: z.string().min(1).max(64).optional(),
  model: z.string().min(1).max(64).optional(),
  prompt: z.string().trim().min(1).max(2500).optional(),
  negativePrompt: z.string().max(2500).optional(),
  durationSeconds: z.number().int().positive().max(600).optional(),
  resolution: z.enum(['720p', '1080p', '4k']).optional(),
  aspectRatio: z.enum(['16:9', '9:16', '1:1']).optional(),
  quality: z.enum(['std', 'pro']).optional(),
  cfgScale: z.number().min(0).max(1).optional(),
  audio: z.boolean().optional(),
  /** The voice of the native audio: a description, or up to two of the provider's voice ids. */
  voice: z
    .strictObject({
      description: z.string().trim().min(1).max(500).optional(),
      ids: z.array(z.string().min(1).max(128)).min(1).max(2).optional(),
    })
    .refine((v) => v.description !== undefined || v.ids !== undefined, { message: 'give a description or ids' })
    .optional(),
  fps: z.number().int().positive().max(120).optional(),
  image: MediaRef.optional(),
  endImage: MediaRef.optional(),
  referenceImages: z.array(MediaRef).max(7).optional(),
  video: MediaRef.optional(),
  keepOriginalSound: z.boolean().optional(),
  cameraControl: CameraControl.optional(),
  shots: z
    .array(z.strictObject({ prompt: z.string().trim().min(1).max(512), durationSeconds: z.number().int().positive() }))
    .min(1)
    .max(6)
    .optional(),
  /** Receives the signed webhook when the job ends: https (validation also refuses private hosts). */
  callbackUrl: z
    .url({ protocol: /^https?$/ })
    .describe('an https URL')
    .optional(),
  metadata: Metadata.optional(),
});
export type CreateJobRequest = z.infer<typeof CreateJobRequest>;

/** The request after defaults were filled from the provider's capability map: what the provider is asked for. */
export const ResolvedRequest = CreateJobRequest.extend({
  provider: z.string(),
  model: z.string(),
  durationSeconds: z.number().int().positive(),
  aspectRatio: z.enum(['16:9', '9:16', '1:1']),
  quality: z.enum(['std', 'pro']),
});
export type ResolvedRequest = z.infer<typeof ResolvedRequest>;

export const StoredObject = z.object({
  bucket: z.string(),
  key: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  contentType: z.string(),
});
export type StoredObject = z.infer<typeof StoredObject>;

export const JobError = z.object({ code: z.string(), message: z.string(), retryable: z.boolean() });
export type JobError = z.infer<typeof JobError>;

export const Cost = z.object({
  credits: z.number().nonnegative().optional(),
  usd: z.number().nonnegative().optional(),
  estimated: z.boolean(),
});
export type Cost = z.infer<typeof Cost>;

/** The public job shape (docs/api.md, "The job"). */
export const Job = z.object({
  jobId: z.string(),
  status: JobStatus,
  provider: z.string(),
  model: z.string(),
  mode: Mode,
  request: ResolvedRequest,
  providerTaskId: z.string().optional(),
  /** While the job waits for a slot of its provider (admission control): its place in the queue, 1 being next. */
  queuePosition: z.number().int().positive().optional(),
  progress: z.number().min(0).max(100).optional(),
  attempts: z.number().int().nonnegative(),
  createdAt: z.string(),
  updatedAt: z.string(),
  submittedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  outputs: z.object({ video: StoredObject, thumbnail: StoredObject.optional() }).optional(),
  cost: Cost.optional(),
  error: JobError.optional(),
  /** The S3 object an upload job came from. */
  source: z.object({ bucket: z.string(), key: z.string(), versionId: z.string().optional(), eTag: z.string().optional() }).optional(),
  /** The signed webhook to `request.callbackUrl`: its id (the same on every retry) and how delivery went. */
  webhook: z
    .object({
      id: z.string(),
      status: z.enum(['pending', 'delivered', 'failed']),
      attempts: z.number().int().nonnegative(),
      lastError: z.string().optional(),
      at: z.string().optional(),
    })
    .optional(),
});
export type Job = z.infer<typeof Job>;

/** The stored record: the public job plus what only the pipeline needs. Never returned as is. */
export const JobRecord = Job.extend({
  /** Hash of the create body, to tell a retried create from a reused idempotency key. */
  requestHash: z.string(),
  /** The latest task token of the AwaitResult state, for the callback handler. */
  taskToken: z.string().optional(),
  /** The provider's last reported terminal result, recorded by the callback handler before it wakes the workflow. */
  providerResult: z.unknown().optional(),
  /** Options of an upload that could not be read: Validate fails the job with them. */
  intakeProblems: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  /**
   * A submission about to be sent, or sent without a recorded answer (written before the provider is called, cleared
   * with its answer): a later Submit that finds one looks the task up, or ends the job SUBMIT_UNCERTAIN.
   */
  submitIntent: z.object({ id: z.string(), at: z.string() }).optional(),
  /** When the terminal notice was published. */
  notifiedAt: z.string().optional(),
  /** When a Notify claimed the notice (before publishing, so it goes out once); a claim left by a dead run goes stale. */
  noticeClaimedAt: z.string().optional(),
  /** Executions started again for this unfinished job (the current one is named `<jobId>-r<redrives>`). */
  redrives: z.number().int().nonnegative().optional(),
  /** Executions started to send this finished job's missing notice or webhook (named `<jobId>-n<count>`). */
  noticeRedrives: z.number().int().nonnegative().optional(),
  /** Constant partition of the by-creation index (`GET /v1/jobs` with no status filter). */
  kind: z.literal('JOB'),
});
export type JobRecord = z.infer<typeof JobRecord>;

/** Strip the pipeline-only attributes before a job leaves the system. */
export function toPublicJob(record: JobRecord): Job {
  const {
    requestHash: _h,
    taskToken: _t,
    providerResult: _p,
    notifiedAt: _n,
    intakeProblems: _i,
    kind: _k,
    submitIntent: _s,
    noticeClaimedAt: _c,
    redrives: _r,
    noticeRedrives: _nr,
    ...job
  } = record;
  return Job.parse(job);
}

/** The mode a request asks for, from the inputs it carries. */
export function modeOf(request: CreateJobRequest): Mode {
  if (request.video) return 'video-edit';
  if (request.shots?.length) return 'multi-shot';
  if (request.referenceImages?.length) return 'reference-to-video';
  if (request.image || request.endImage) return 'image-to-video';
  return 'text-to-video';
}

/**
 * Parses a create body, keeping what is valid: the fields that do not fit the schema are reported and left out,
 * so the rest can still be checked against the provider (every problem is reported at once) or recorded.
 */
export function parseLeniently(body: unknown): { request: CreateJobRequest; problems: { path: string; message: string }[] } {
  const parsed = CreateJobRequest.safeParse(body);
  if (parsed.success) return { request: parsed.data, problems: [] };
  const problems: { path: string; message: string }[] = [];
  const broken = new Set<string>();
  for (const issue of parsed.error.issues) {
    if (issue.code === 'unrecognized_keys' && issue.path.length === 0) {
      // One problem per unknown field, named by the field.
      for (const key of issue.keys) {
        broken.add(key);
        problems.push({ path: key, message: 'unknown field' });
      }
      continue;
    }
    broken.add(String(issue.path[0] ?? ''));
    problems.push({ path: issue.path.length ? issue.path.join('.') : 'body', message: issue.message });
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { request: {}, problems };
  const kept = Object.fromEntries(Object.entries(body).filter(([field]) => !broken.has(field)));
  const retry = CreateJobRequest.safeParse(kept);
  return { request: retry.success ? retry.data : {}, problems };
}

// The job: the create request a caller sends (docs/api.md, "Create body") and the record klingflow keeps.
// Everything at the HTTP boundary is parsed with these schemas; the types come from them.
import * as z from './zod.ts';
import { issueMessage, meaningfulIssues } from './schema-issues.ts';
import { normalizeUrl } from './url-policy.ts';

export const JOB_STATUSES = ['QUEUED', 'SUBMITTED', 'PROCESSING', 'ARCHIVING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'] as const;
export const JobStatus = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatus>;

export const TERMINAL_STATUSES: readonly JobStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];
export const isTerminal = (status: JobStatus): boolean => TERMINAL_STATUSES.includes(status);

export const MODES = ['text-to-video', 'image-to-video', 'reference-to-video', 'video-edit', 'multi-shot'] as const;
export const Mode = z.enum(MODES);
export type Mode = z.infer<typeof Mode>;

/**
 * What a job id looks like to anyone who sends one (docs/api.md, "Conventions"): 1–80 characters of
 * `[A-Za-z0-9_-]`, because each id is also its Step Functions execution's name. Ids klingflow makes are `job_…`.
 */
export const JOB_ID_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

/** Why `value` cannot be a job id (to follow the parameter's name), or `undefined` when it can. */
export function jobIdProblem(value: string): string | undefined {
  if (JOB_ID_PATTERN.test(value)) return undefined;
  const shown = value.length > 100 ? `${value.slice(0, 100)}… (${value.length} characters)` : value;
  return `'${shown}' is not a job id: job ids are 1 to 80 characters of A-Z, a-z, 0-9, '_' and '-'`;
}

/**
 * Keys refused in every map a caller sends (the create body, `metadata`, upload manifests): JavaScript gives them
 * meaning on every object, and libraries that copy or marshal objects (the DynamoDB marshaller among them) trip
 * over them.
 */
export const RESERVED_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/** Deepest nesting of arrays and objects a create body may have (the schema itself needs three levels). */
export const MAX_BODY_DEPTH = 8;

/** Longest `metadata` key and value, in characters, and the most `metadata` may take as JSON, in bytes. */
export const METADATA_LIMITS = { keyLength: 128, valueLength: 1024, jsonBytes: 2048 } as const;

/**
 * A URL a caller gives, parsed and normalised (`normalizeUrl` in url-policy.ts: at most 2,048 characters, http or
 * https, no credentials, backslashes, spaces or control characters); the request keeps the normal form only.
 * Whether its host may be used (public, or loopback on the local stack) is checked in validation.ts.
 */
const CallerUrl = z.pipe(
  z.string(),
  z.transform((raw, ctx) => {
    const verdict = normalizeUrl(raw);
    if (verdict.ok) return verdict.url.href;
    ctx.issues.push({ code: 'custom', input: raw, message: verdict.reason });
    return z.NEVER;
  }),
);

/** A URL as stored on a job (already normalised when it was created; read back as it is). */
const StoredUrl = z.string();

/** A media reference: exactly one of `{url}` and `{s3Key}`; problems are reported at `<field>.url`, `<field>.s3Key` or the field. */
const mediaRef = (url: z.ZodMiniType<string, string>) =>
  z
    .pipe(
      z
        .strictObject({
          url: z.optional(url.check(z.describe('a public http(s) URL'))),
          s3Key: z.optional(
            z.string().check(z.minLength(1), z.maxLength(1024, 'is more than 1024 bytes in UTF-8; an S3 key is at most 1024')),
          ),
        })
        .check(z.refine((ref) => (ref.url === undefined) !== (ref.s3Key === undefined), { message: 'give exactly one of url and s3Key' })),
      z.transform((ref): { url: string } | { s3Key: string } => (ref.url !== undefined ? { url: ref.url } : { s3Key: ref.s3Key ?? '' })),
    )
    .check(z.describe('either {url} or {s3Key}'));

const MediaRef = mediaRef(CallerUrl);
export type MediaRef = z.infer<typeof MediaRef>;
const StoredMediaRef = mediaRef(StoredUrl);

/** A number DynamoDB stores exactly: at most six decimal places (so nothing underflows its 1E-130 floor). */
const decimal = (min: number, max: number) =>
  z.number().check(
    z.gte(min),
    z.lte(max),
    z.refine((n) => Math.round(n * 1e6) / 1e6 === n, { message: 'must have at most 6 decimal places' }),
  );

const CameraControl = z.strictObject({
  type: z.enum(['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward']),
  config: z.optional(
    z.strictObject({
      horizontal: z.optional(decimal(-10, 10)),
      vertical: z.optional(decimal(-10, 10)),
      pan: z.optional(decimal(-10, 10)),
      tilt: z.optional(decimal(-10, 10)),
      roll: z.optional(decimal(-10, 10)),
      zoom: z.optional(decimal(-10, 10)),
    }),
  ),
});

const Metadata = z
  .record(
    z.string().check(
      z.minLength(1),
      z.maxLength(METADATA_LIMITS.keyLength),
      z.refine((key) => !RESERVED_KEYS.includes(key), { message: `is a reserved name; ${RESERVED_KEYS.join(', ')} are refused` }),
    ),
    z.string().check(z.maxLength(METADATA_LIMITS.valueLength)),
  )
  .check(
    z.refine((m) => Buffer.byteLength(JSON.stringify(m)) <= METADATA_LIMITS.jsonBytes, {
      message: `metadata must be at most ${METADATA_LIMITS.jsonBytes / 1024} KB as JSON`,
    }),
  );

/** The message of a trimmed text field left empty: whitespace alone is no text. */
const NOT_BLANK = 'is empty or only whitespace; write at least one character';

/** The longest video (and shot) a create body may ask for, in whole seconds; each model takes only some lengths. */
export const MAX_DURATION_SECONDS = 600;

/** The highest frame rate a create body may ask for; each model takes only some rates (its capability map's `fps`). */
export const MAX_FPS = 120;

/** The create body of `POST /v1/jobs`. Unknown fields are refused, so a typo never silently does nothing. */
export const CreateJobRequest = z.strictObject({
  provider: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  model: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  prompt: z.optional(z.string().check(z.trim(), z.minLength(1, NOT_BLANK), z.maxLength(2500))),
  negativePrompt: z.optional(z.string().check(z.maxLength(2500))),
  durationSeconds: z.optional(z.number().check(z.int(), z.positive(), z.lte(MAX_DURATION_SECONDS))),
  resolution: z.optional(z.enum(['720p', '1080p', '4k'])),
  aspectRatio: z.optional(z.enum(['16:9', '9:16', '1:1'])),
  quality: z.optional(z.enum(['std', 'pro'])),
  cfgScale: z.optional(decimal(0, 1)),
  audio: z.optional(z.boolean()),
  /** The voice of the native audio: a description, or up to two of the provider's voice ids. */
  voice: z.optional(
    z
      .strictObject({
        description: z.optional(z.string().check(z.trim(), z.minLength(1, NOT_BLANK), z.maxLength(500))),
        ids: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(128))).check(z.minLength(1), z.maxLength(2))),
      })
      .check(z.refine((v) => v.description !== undefined || v.ids !== undefined, { message: 'give a description or ids' })),
  ),
  fps: z.optional(z.number().check(z.int(), z.positive(), z.lte(MAX_FPS))),
  image: z.optional(MediaRef),
  endImage: z.optional(MediaRef),
  referenceImages: z.optional(z.array(MediaRef).check(z.maxLength(7))),
  video: z.optional(MediaRef),
  keepOriginalSound: z.optional(z.boolean()),
  cameraControl: z.optional(CameraControl),
  shots: z.optional(
    z
      .array(
        z.strictObject({
          prompt: z.string().check(z.trim(), z.minLength(1, NOT_BLANK), z.maxLength(512)),
          durationSeconds: z.number().check(z.int(), z.positive(), z.lte(MAX_DURATION_SECONDS)),
        }),
      )
      .check(z.minLength(1), z.maxLength(6)),
  ),
  /** Receives the signed webhook when the job ends: https (validation also refuses private hosts). */
  callbackUrl: z.optional(CallerUrl.check(z.describe('an https URL'))),
  metadata: z.optional(Metadata),
});
export type CreateJobRequest = z.infer<typeof CreateJobRequest>;

/**
 * The request after defaults were filled from the provider's capability map: what the provider is asked for, and
 * what a job record holds. URLs are read back as stored (they were normalised when the job was created).
 */
export const ResolvedRequest = z.extend(CreateJobRequest, {
  image: z.optional(StoredMediaRef),
  endImage: z.optional(StoredMediaRef),
  referenceImages: z.optional(z.array(StoredMediaRef).check(z.maxLength(7))),
  video: z.optional(StoredMediaRef),
  callbackUrl: z.optional(StoredUrl),
  provider: z.string(),
  model: z.string(),
  durationSeconds: z.number().check(z.int(), z.positive()),
  aspectRatio: z.enum(['16:9', '9:16', '1:1']),
  quality: z.enum(['std', 'pro']),
});
export type ResolvedRequest = z.infer<typeof ResolvedRequest>;

export const StoredObject = z.object({
  bucket: z.string(),
  key: z.string(),
  bytes: z.number().check(z.int(), z.nonnegative()),
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  contentType: z.string(),
});
export type StoredObject = z.infer<typeof StoredObject>;

export const JobError = z.object({ code: z.string(), message: z.string(), retryable: z.boolean() });
export type JobError = z.infer<typeof JobError>;

export const Cost = z.object({
  credits: z.optional(z.number().check(z.nonnegative())),
  usd: z.optional(z.number().check(z.nonnegative())),
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
  providerTaskId: z.optional(z.string()),
  /** While the job waits for a slot of its provider (admission control): its place in the queue, 1 being next. */
  queuePosition: z.optional(z.number().check(z.int(), z.positive())),
  progress: z.optional(z.number().check(z.gte(0), z.lte(100))),
  attempts: z.number().check(z.int(), z.nonnegative()),
  createdAt: z.string(),
  updatedAt: z.string(),
  submittedAt: z.optional(z.string()),
  finishedAt: z.optional(z.string()),
  outputs: z.optional(z.object({ video: StoredObject, thumbnail: z.optional(StoredObject) })),
  cost: z.optional(Cost),
  error: z.optional(JobError),
  /**
   * Who the job belongs to (docs/api.md, "Each caller's own jobs"): the IAM principal's ARN, the JWT `sub`, the local
   * token's name, or for an upload its `owner` metadata or `uploads`. Absent on jobs from before owners were kept.
   */
  owner: z.optional(z.string()),
  /** The S3 object an upload job came from. */
  source: z.optional(z.object({ bucket: z.string(), key: z.string(), versionId: z.optional(z.string()), eTag: z.optional(z.string()) })),
  /** The signed webhook to `request.callbackUrl`: its id (the same on every retry) and how delivery went. */
  webhook: z.optional(
    z.object({
      id: z.string(),
      status: z.enum(['pending', 'delivered', 'failed']),
      attempts: z.number().check(z.int(), z.nonnegative()),
      lastError: z.optional(z.string()),
      at: z.optional(z.string()),
    }),
  ),
});
export type Job = z.infer<typeof Job>;

/** The stored record: the public job plus what only the pipeline needs. Never returned as is. */
export const JobRecord = z.extend(Job, {
  /** Hash of the create body, to tell a retried create from a reused idempotency key. */
  requestHash: z.string(),
  /** The latest task token of the AwaitResult state, for the callback handler. */
  taskToken: z.optional(z.string()),
  /** The provider's last reported terminal result, recorded by the callback handler before it wakes the workflow. */
  providerResult: z.optional(z.unknown()),
  /** Options of an upload that could not be read: Validate fails the job with them. */
  intakeProblems: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
  /**
   * A submission about to be sent, or sent without a recorded answer (written before the provider is called, cleared
   * with its answer): a later Submit that finds one looks the task up, or ends the job SUBMIT_UNCERTAIN.
   */
  submitIntent: z.optional(z.object({ id: z.string(), at: z.string() })),
  /** When the terminal notice was published. */
  notifiedAt: z.optional(z.string()),
  /** When a Notify claimed the notice (before publishing, so it goes out once); a claim left by a dead run goes stale. */
  noticeClaimedAt: z.optional(z.string()),
  /** Executions started again for this unfinished job (the current one is named `<jobId>-r<redrives>`). */
  redrives: z.optional(z.number().check(z.int(), z.nonnegative())),
  /** Executions started to send this finished job's missing notice or webhook (named `<jobId>-n<count>`). */
  noticeRedrives: z.optional(z.number().check(z.int(), z.nonnegative())),
  /**
   * What the job counted against the spend caps when it was submitted (domain/spend.ts): when (its UTC day and month
   * are the counters it went to), one job, and its estimated credits and USD. Corrected once the provider reports.
   */
  spendRecord: z.optional(z.object({ at: z.string(), jobs: z.number(), credits: z.number(), usd: z.number() })),
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
    spendRecord: _sp,
    queuePosition,
    ...job
  } = record;
  // A place in the queue is said only while the job waits in it: one cancelled or ended while queued has none.
  return Job.parse(record.status === 'QUEUED' && queuePosition !== undefined ? { ...job, queuePosition } : job);
}

/** The mode a request asks for, from the inputs it carries. */
export function modeOf(request: CreateJobRequest): Mode {
  if (request.video) return 'video-edit';
  if (request.shots?.length) return 'multi-shot';
  if (request.referenceImages?.length) return 'reference-to-video';
  if (request.image || request.endImage) return 'image-to-video';
  return 'text-to-video';
}

/** A lone UTF-16 surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `text` is well-formed Unicode (`String.prototype.isWellFormed`, which the ES2023 typings lack). */
export const isWellFormedText = (text: string): boolean => !LONE_SURROGATE.test(text);

/** {@link LONE_SURROGATE}, every one in a string. */
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** `text` with each lone surrogate replaced by U+FFFD (`String.prototype.toWellFormed`, which the ES2023 typings lack). */
export const wellFormedText = (text: string): string => text.replace(LONE_SURROGATES, '\ufffd');

/** A problem with one field of a request: its dotted path (`shots.0.prompt`, `metadata.x`) and what is wrong. */
export interface FieldProblem {
  path: string;
  message: string;
}

/**
 * What no field of a request may hold, whatever the schema says about it, found anywhere in a parsed JSON value:
 * strings and keys that are not well-formed Unicode (a lone UTF-16 surrogate, which `\ud800` in JSON produces and
 * which SNS, DynamoDB and URL encoders refuse), {@link RESERVED_KEYS} as keys of any object, and nesting deeper than
 * {@link MAX_BODY_DEPTH}. One problem per offending string, key or too-deep value, with its path (`body` for the
 * value itself). Walks iteratively, so no input can exhaust the stack.
 */
export function hostileProblems(value: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const pathOf = (parts: readonly (string | number)[]) => (parts.length ? parts.join('.') : 'body');
  const pending: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const { value: current, path } = item;
    if (typeof current === 'string') {
      if (!isWellFormedText(current)) {
        problems.push({ path: pathOf(path), message: 'is not well-formed Unicode (it holds a lone surrogate); send valid UTF-8 text' });
      }
      continue;
    }
    if (!current || typeof current !== 'object') continue;
    if (path.length >= MAX_BODY_DEPTH) {
      problems.push({
        path: pathOf(path),
        message: `is nested too deeply; at most ${MAX_BODY_DEPTH} levels of objects and arrays are allowed`,
      });
      continue;
    }
    const entries: [string | number, unknown][] = Array.isArray(current)
      ? current.map((element, index) => [index, element])
      : Object.entries(current);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i] as [string | number, unknown];
      if (typeof key === 'string') {
        if (RESERVED_KEYS.includes(key)) {
          problems.push({ path: pathOf([...path, key]), message: `is a reserved name; ${RESERVED_KEYS.join(', ')} are refused as keys` });
          continue;
        }
        if (!isWellFormedText(key)) {
          problems.push({ path: pathOf([...path, key]), message: 'this key is not well-formed Unicode (it holds a lone surrogate)' });
          continue;
        }
      }
      pending.push({ value: child, path: [...path, key] });
    }
  }
  return problems;
}

/**
 * Parses a create body, keeping what is valid: the fields that do not fit the schema (or hold what no field may:
 * {@link hostileProblems}) are reported and left out, so the rest can still be checked against the provider (every
 * problem is reported at once) or recorded. Never throws, whatever `body` is.
 */
export function parseLeniently(body: unknown): { request: CreateJobRequest; problems: FieldProblem[] } {
  const hostile = hostileProblems(body);
  if (hostile.some((problem) => problem.path === 'body')) return { request: {}, problems: hostile };
  const isObject = !!body && typeof body === 'object' && !Array.isArray(body);
  const hostileFields = new Set(hostile.map((problem) => problem.path.split('.')[0] ?? ''));
  const candidate =
    isObject && hostile.length ? Object.fromEntries(Object.entries(body).filter(([field]) => !hostileFields.has(field))) : body;
  const parsed = CreateJobRequest.safeParse(candidate);
  if (parsed.success) return { request: parsed.data, problems: hostile };
  const problems: FieldProblem[] = [...hostile];
  const broken = new Set<string>();
  for (const issue of meaningfulIssues(parsed.error.issues)) {
    if (issue.code === 'unrecognized_keys' && issue.path.length === 0) {
      // One problem per unknown field, named by the field.
      for (const key of issue.keys) {
        broken.add(key);
        problems.push(
          key === ''
            ? { path: 'body', message: 'has a field with an empty name (unknown field)' }
            : { path: key, message: 'unknown field' },
        );
      }
      continue;
    }
    broken.add(String(issue.path[0] ?? ''));
    problems.push({ path: issue.path.length ? issue.path.join('.') : 'body', message: issueMessage(issue) });
  }
  if (!isObject) return { request: {}, problems };
  const kept = Object.fromEntries(Object.entries(candidate as object).filter(([field]) => !broken.has(field)));
  const retry = CreateJobRequest.safeParse(kept);
  return { request: retry.success ? retry.data : {}, problems };
}

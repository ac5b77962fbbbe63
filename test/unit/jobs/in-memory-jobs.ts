// An in-memory JobRepository with the store's conditional semantics (a create never overwrites; a finished job
// never changes again), and recorders for the other ports, for unit tests of the use cases in lambdas/jobs/.
import { isTerminal, TERMINAL_STATUSES, type JobRecord, type JobStatus } from '../../../lambdas/domain/job.ts';
import type { ModelCapabilities, ProviderCapabilities } from '../../../lambdas/domain/capabilities.ts';
import type { ProviderLookup } from '../../../lambdas/domain/validation.ts';
import type { JobChanges, JobPage, JobRepository, ListOptions, WebhookChange } from '../../../lambdas/jobs/ports.ts';
import type { ExecutionInput } from '../../../lambdas/workflow/contract.ts';

export class InMemoryJobs implements JobRepository {
  readonly jobs = new Map<string, JobRecord>();
  readonly webhookChanges: { jobId: string; change: WebhookChange }[] = [];
  constructor(private readonly now: () => Date = () => new Date('2026-11-30T12:00:00Z')) {}

  async create(record: JobRecord) {
    const existing = this.jobs.get(record.jobId);
    if (existing) return { created: false, job: structuredClone(existing) };
    this.jobs.set(record.jobId, structuredClone(record));
    return { created: true, job: structuredClone(record) };
  }
  async get(jobId: string) {
    const job = this.jobs.get(jobId);
    return job && structuredClone(job);
  }
  async require(jobId: string) {
    const job = await this.get(jobId);
    if (!job) throw new Error(`job ${jobId} does not exist`);
    return job;
  }
  async list(options: ListOptions): Promise<JobPage> {
    const all = [...this.jobs.values()]
      .filter((j) => (options.status ? j.status === options.status : true) && (options.provider ? j.provider === options.provider : true))
      .filter((j) => (options.owner !== undefined ? j.owner === options.owner : true))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const start = options.cursor ? Number(options.cursor) : 0;
    const items = all.slice(start, start + options.limit).map((j) => structuredClone(j));
    return { items, ...(start + options.limit < all.length ? { nextCursor: String(start + options.limit) } : {}) };
  }
  async updateActive(jobId: string, changes: JobChanges, options: { incrementAttempts?: boolean } = {}) {
    const job = this.jobs.get(jobId);
    if (!job || isTerminal(job.status)) return undefined;
    const next: Record<string, unknown> = { ...job, updatedAt: this.now().toISOString() };
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) delete next[key];
      else next[key] = value;
    }
    if (options.incrementAttempts) next.attempts = job.attempts + 1;
    this.jobs.set(jobId, next as JobRecord);
    return structuredClone(next as JobRecord);
  }
  async beginSubmit(jobId: string, intent: { id: string; at: string }, replacing?: string) {
    const job = this.jobs.get(jobId);
    if (!job || isTerminal(job.status) || job.providerTaskId !== undefined) return undefined;
    if (replacing === undefined ? job.submitIntent !== undefined : job.submitIntent?.id !== replacing) return undefined;
    return this.updateActive(jobId, { submitIntent: intent }, { incrementAttempts: true });
  }
  async finish(jobId: string, status: JobStatus, changes: JobChanges, options: { keepTaskToken?: boolean } = {}) {
    if (!TERMINAL_STATUSES.includes(status)) throw new Error(`${status} is not a terminal status`);
    const finishedAt = this.now().toISOString();
    return this.updateActive(jobId, { ...changes, status, finishedAt, ...(options.keepTaskToken ? {} : { taskToken: undefined }) });
  }
  async claimNotice(jobId: string, staleBefore: string) {
    const job = this.jobs.get(jobId);
    if (!job || job.notifiedAt || (job.noticeClaimedAt !== undefined && job.noticeClaimedAt >= staleBefore)) return false;
    job.noticeClaimedAt = this.now().toISOString();
    return true;
  }
  async markNotified(jobId: string) {
    const job = this.jobs.get(jobId);
    if (!job) return;
    job.notifiedAt = this.now().toISOString();
    delete job.noticeClaimedAt;
  }
  async releaseNotice(jobId: string) {
    const job = this.jobs.get(jobId);
    if (job) delete job.noticeClaimedAt;
  }
  async scan(cursor?: string): Promise<JobPage> {
    const all = [...this.jobs.values()].sort((a, b) => a.jobId.localeCompare(b.jobId));
    const start = cursor ? Number(cursor) : 0;
    const items = all.slice(start, start + 2).map((j) => structuredClone(j));
    return { items, ...(start + 2 < all.length ? { nextCursor: String(start + 2) } : {}) };
  }
  async countRedrive(jobId: string, field: 'redrives' | 'noticeRedrives', seen: number) {
    const job = this.jobs.get(jobId);
    if (!job || (job[field] ?? 0) !== seen) return false;
    job[field] = seen + 1;
    return true;
  }
  async recordWebhook(jobId: string, change: WebhookChange) {
    this.webhookChanges.push({ jobId, change });
  }
}

/** Records every execution started: its input (`started`) and its name (`names`, in the same order). */
export function executionRecorder(): {
  started: ExecutionInput[];
  names: string[];
  start: (input: ExecutionInput, name: string) => Promise<void>;
} {
  const started: ExecutionInput[] = [];
  const names: string[] = [];
  return {
    started,
    names,
    start: async (input, name) => {
      started.push(input);
      names.push(name);
    },
  };
}

const MODEL: ModelCapabilities = {
  id: 'model-a',
  modes: ['text-to-video', 'image-to-video'],
  durationsSeconds: [5, 10],
  defaultDurationSeconds: 5,
  aspectRatios: ['16:9', '9:16'],
  qualities: ['std', 'pro'],
  cfgScale: false,
  audio: false,
  cameraControl: false,
  endImage: false,
  negativePrompt: true,
};

/** One provider (`acme`) with one model that takes text and image to video, 5 or 10 s. */
export const ACME: ProviderCapabilities = {
  defaultModel: 'model-a',
  models: [MODEL],
  callbacks: false,
  callbackAuth: 'url-token',
  cancel: true,
};

/** A provider look-up offering only `acme`. */
export const acmeLookup: ProviderLookup = {
  enabledProviders: ['acme'],
  defaultProvider: 'acme',
  capabilitiesOf: (id) => (id === 'acme' ? ACME : undefined),
};

/** A stored job in the given status (the fields every record has, plus `extra`). */
export function storedJob(jobId: string, status: JobStatus, extra: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId,
    kind: 'JOB',
    status,
    provider: 'acme',
    model: 'model-a',
    mode: 'text-to-video',
    request: { provider: 'acme', model: 'model-a', prompt: 'a fox', durationSeconds: 5, aspectRatio: '16:9', quality: 'std' },
    attempts: 0,
    createdAt: '2026-11-30T11:00:00.000Z',
    updatedAt: '2026-11-30T11:00:00.000Z',
    requestHash: 'hash',
    ...extra,
  };
}

// What the use cases in jobs/ need from the outside world, as interfaces. lambdas/aws/ implements them (the job
// store on DynamoDB, executions and task tokens on Step Functions); unit tests pass fakes. jobs/ never imports
// aws/ or an AWS SDK, so a use case can be read and tested on its own (docs/architecture.md, "Dependency rule").
import type { Slot, Waiter } from '../domain/admission.ts';
import type { JobRecord, JobStatus } from '../domain/job.ts';
import type { SpendAmount, SpendBreach, SpendCaps, SpendCounter } from '../domain/spend.ts';
import type { ExecutionInput } from '../workflow/contract.ts';

/** Fields of a job a step may change (everything but its identity and what the create fixed). */
export type JobChanges = Partial<Omit<JobRecord, 'jobId' | 'kind' | 'createdAt' | 'requestHash'>>;

/** How a finished job's webhook is going, as recorded on the job. */
export interface WebhookChange {
  /** The Standard Webhooks `webhook-id`, the same on every retry of one event. */
  id: string;
  status: 'pending' | 'delivered' | 'failed';
  /** Counts one more delivery attempt. */
  countAttempt?: boolean;
  /** Why the last attempt failed (stored cut to 500 characters). */
  lastError?: string;
}

/** One page of jobs, newest first. */
export interface JobPage {
  items: JobRecord[];
  /** Opaque; pass back as `cursor` for the next page. Absent on the last page. */
  nextCursor?: string;
}

/** What `GET /v1/jobs` asks of the store. */
export interface ListOptions {
  /** Only this owner's jobs (a caller who is not an admin); absent: every job. */
  owner?: string;
  status?: JobStatus;
  provider?: string;
  /** 1–100. */
  limit: number;
  cursor?: string;
}

/** A page cursor that this API did not hand out (or that was altered): the caller's mistake, a 400. */
export class InvalidCursor extends Error {
  override readonly name = 'InvalidCursor';
}

/**
 * The jobs table. Writes are conditional: a create never overwrites, and a job that reached a terminal status
 * never changes again (every `update`/`finish` on it returns `undefined`).
 */
export interface JobRepository {
  /** Writes a new job; if its id exists already, returns the stored job instead (an idempotent create). */
  create(record: JobRecord): Promise<{ created: boolean; job: JobRecord }>;
  /** The job, read consistently, or `undefined`. */
  get(jobId: string): Promise<JobRecord | undefined>;
  /** The job. Throws `Error` when there is none (a step was handed an id that does not exist: a bug). */
  require(jobId: string): Promise<JobRecord>;
  /**
   * Newest first, optionally one owner's jobs only, one status and/or one provider; `limit` is 1–100 jobs. A page can
   * hold fewer than `limit` items while `nextCursor` says more may follow. Throws `InvalidCursor` for a cursor it did
   * not make (or made for another listing: another owner or status).
   */
  list(options: ListOptions): Promise<JobPage>;
  /**
   * Applies `changes` to a job that has not ended (attributes set to `undefined` are removed) and returns the new
   * record, or `undefined` if the job had already ended or does not exist.
   */
  updateActive(jobId: string, changes: JobChanges, options?: { incrementAttempts?: boolean }): Promise<JobRecord | undefined>;
  /**
   * Records a submission about to be sent (`intent`) and counts the attempt, if the job has not ended, has no provider
   * task yet, and its recorded intent is the one with id `replacing` (none: it must have none). Returns the updated
   * job, or `undefined` when any of that does not hold (another submission got there first).
   */
  beginSubmit(jobId: string, intent: { id: string; at: string }, replacing?: string): Promise<JobRecord | undefined>;
  /**
   * Moves a job to a terminal status once; later calls return `undefined` and change nothing. The job's task token is
   * cleared, unless `keepTaskToken`: then the record returned carries the token of the wait open at the write, so the
   * caller can end that wait (a cancel that races a wait storing its token).
   */
  finish(jobId: string, status: JobStatus, changes: JobChanges, options?: { keepTaskToken?: boolean }): Promise<JobRecord | undefined>;
  /**
   * Claims the job's one notice: `false` if it was sent, or claimed at or after `staleBefore` (ISO; a claim older than
   * that was left by a run that died before publishing, and is taken over), so a retry never sends it twice.
   */
  claimNotice(jobId: string, staleBefore: string): Promise<boolean>;
  /** Records that the claimed notice was published. */
  markNotified(jobId: string): Promise<void>;
  /** Gives the claim back after a publish that failed, so the next attempt can send it. */
  releaseNotice(jobId: string): Promise<void>;
  /** One page of every job, read from the base table (not an index, which can lag), consistently. */
  scan(cursor?: string): Promise<JobPage>;
  /**
   * Counts one more execution started for the job (`redrives` for an unfinished one, `noticeRedrives` for a missing
   * notice), if the count is still `seen` (absent counts as 0): `true` when this caller won, so only it starts one.
   */
  countRedrive(jobId: string, field: 'redrives' | 'noticeRedrives', seen: number): Promise<boolean>;
  /** Records how the job's webhook is going; the job's `updatedAt` is left alone (the body must not change). */
  recordWebhook(jobId: string, change: WebhookChange): Promise<void>;
}

/** Starts the workflow execution `name` (workflow/contract.ts, executionNameOf); "already exists" counts as success. */
export type StartExecution = (input: ExecutionInput, name: string) => Promise<void>;

/** What Step Functions knows of an execution: running, closed (how, and why if it failed), or never started. */
export type ExecutionState =
  | { status: 'RUNNING' }
  | { status: 'MISSING' }
  | { status: 'CLOSED'; result: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | string; error?: string; cause?: string };

/** Looks up the execution `name` of this deployment's state machine. */
export type DescribeExecution = (name: string) => Promise<ExecutionState>;

/** Wakes a workflow wait (a `.waitForTaskToken` task) with a named error; a wait that already ended is no error. */
export type FailWait = (taskToken: string, error: string, cause: string) => Promise<void>;

/** Wakes a workflow wait with an output; `false` when the wait had already ended (a stale token is no error). */
export type ResumeWait = (taskToken: string, output: unknown) => Promise<boolean>;

/** What a slot must look like for a conditional write to go through: unheld (no `holder`), or held as given. */
export interface SlotExpectation {
  holder?: string;
  /** With `holder`: the lease it must still have (epoch ms), so an expired lease is taken over exactly once. */
  leaseUntil?: number;
}

/**
 * The slots and the queue of admission control (lambdas/domain/admission.ts), per pool. Every read is strongly
 * consistent and every write to a slot is conditional, so two jobs never hold one slot (no transactions, no TTL).
 */
export interface AdmissionStore {
  /** Every stored slot of the pool (a slot never written is absent, and free). */
  slots(pool: string): Promise<Slot[]>;
  /**
   * Waiting entries, oldest first: all of them, or those older than `before` and/or newer than `after` (wait keys);
   * at most `limit`.
   */
  waiters(pool: string, options?: { before?: string; after?: string; limit?: number }): Promise<Waiter[]>;
  /** How many waiting entries are older than `before` (a wait key) and checked in after `seenAfter` (epoch ms). */
  countWaiters(pool: string, options: { before: string; seenAfter: number }): Promise<number>;
  /** One waiting entry by its key, or undefined. */
  waiter(pool: string, key: string): Promise<Waiter | undefined>;
  /**
   * Puts a job's waiting entry, or refreshes it: `seenAt` (and `token`, when given) are set, `since` is kept when
   * the entry exists. Returns the entry as stored.
   */
  enqueue(pool: string, entry: Omit<Waiter, 'since' | 'token'> & { since: string; token?: string }): Promise<Waiter>;
  /** Removes a waiting entry; one that is gone already is no error. */
  dequeue(pool: string, key: string): Promise<void>;
  /** Makes `holder` hold slot `index` until `leaseUntil` (epoch ms) if the slot is as `expected`; false otherwise. */
  claim(pool: string, index: number, holder: string, leaseUntil: number, expected: SlotExpectation): Promise<boolean>;
  /** Frees slot `index` if `holder` still holds it; false otherwise. */
  free(pool: string, index: number, holder: string): Promise<boolean>;
}

/**
 * The spend counters (domain/spend.ts): one item per period and scope, changed only by atomic additions. No
 * transactions: a reservation adds to each counter in turn and takes back what it added when a later one refuses.
 */
export interface SpendLedger {
  /** What each counter has spent so far (zero for one never written), read consistently, in the order given. */
  read(counters: readonly SpendCounter[]): Promise<SpendAmount[]>;
  /**
   * Adds `amount` to every counter unless that would cross a cap of `caps` on one of them; then adds nothing (what it
   * added to earlier counters is taken back) and answers the cap crossed.
   */
  reserve(counters: readonly SpendCounter[], amount: SpendAmount, caps: SpendCaps): Promise<SpendBreach | undefined>;
  /** Adds `delta` (negative parts subtract) to every counter, unconditionally. */
  add(counters: readonly SpendCounter[], delta: SpendAmount): Promise<void>;
}

/** The spend guard's dependencies: the counters and the caps in force (read fresh or from a short cache). */
export interface SpendGuard {
  ledger: SpendLedger;
  caps(): Promise<SpendCaps>;
}

// The dialect-neutral task engine: stores tasks, drives each one submitted → processing → terminal on
// timers, delivers callbacks in order, and counts create attempts for fault directives. Dialects own
// the wire shapes; the engine only knows the canonical lifecycle below.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_CALLBACK_RETRY,
  deliverCallback,
  standardWebhooksSigner,
  type CallbackRetryPolicy,
  type CallbackSigner,
} from './callbacks.ts';
import { rejectionForAttempt, type FaultPlan, type SubmitRejection } from './faults.ts';
import { Journal } from './journal.ts';
import { AccountLimits, type DialectLimits, type LimitRefusal } from './limits.ts';

/** Canonical lifecycle; each dialect renders it in its own words (Kling legacy: `succeed`). */
export type SimTaskStatus = 'submitted' | 'processing' | 'succeeded' | 'failed';

export interface SimTask {
  dialect: string;
  /** Dialect-specific product, e.g. 'text2video'. */
  product: string;
  /** The model the task runs, where the dialect names one (per-model concurrency limits count by it). */
  model: string | null;
  taskId: string;
  externalTaskId: string | null;
  status: SimTaskStatus;
  /** Failure reason once failed, otherwise null. */
  statusMessage: string | null;
  /** 0–100. */
  progress: number;
  createdAt: number;
  updatedAt: number;
  /** The create request body as received. */
  request: unknown;
  /** The prompt directives were read from. */
  prompt: string | null;
  callbackUrl: string | null;
  /** Callback events sent (one per status change, two for a duplicated one), whatever their outcome. */
  callbacksSent: number;
  /** Callback events acknowledged with a 2xx. */
  callbacksDelivered: number;
  /** HTTP requests made for callbacks, retries included. */
  callbackAttempts: number;
  lastCallbackError: string | null;
  /** Id of the produced video (stable from creation, exposed once succeeded). */
  videoId: string;
  mediaRequests: number;
  /** GETs of the task's video (each download fault counts these). */
  videoDownloads: number;
  latencyMs: number;
  faults: FaultPlan;
  /** When the task was cancelled (its lifecycle stopped where it was), else null. */
  cancelledAt: number | null;
  /** When the task's outputs were removed (media then answer 404), else null. */
  outputsRemovedAt: number | null;
  /** One line per progress step, as a provider's logs would show them. */
  logs: string[];
}

/**
 * What happened to a task, for deciding which callbacks go out: it started processing, made progress (same status),
 * finished (succeeded or failed), or was cancelled.
 */
export type SimTaskEvent = 'started' | 'progress' | 'finished' | 'cancelled';

/**
 * A create attempt that was refused, by a fault directive or by an account limit; no task exists for it. Limit
 * refusals have the attempt key `limit` and attempt 0 (they are not counted per request).
 */
export interface SimRejection {
  dialect: string;
  attemptKey: string;
  attempt: number;
  rejection: SubmitRejection | LimitRefusal;
  at: number;
}

export interface AcceptTaskInput {
  dialect: string;
  product: string;
  /** The model the request names, where the dialect has one. */
  model?: string | null;
  request: unknown;
  prompt: string | null;
  externalTaskId: string | null;
  callbackUrl: string | null;
  faults: FaultPlan;
  /** Set when the task must end failed; the dialect chooses the wording. */
  failureMessage: string | null;
  /** Renders the callback body for the task's current state. */
  renderCallback: (task: SimTask) => unknown;
  /** Signs its callbacks; `null` sends them unsigned. Absent: Standard Webhooks with the engine's secret. */
  signCallback?: CallbackSigner | null;
  /**
   * Which events call back; absent: every status change ('started', 'finished') and a cancellation. A provider with
   * an event filter (Replicate's `webhook_events_filter`) answers from it.
   */
  callsBackOn?: (event: SimTaskEvent, task: SimTask) => boolean;
  /** Milliseconds after the task ends until its outputs are removed (Replicate: an hour); absent: kept. */
  outputRetentionMs?: number | null;
}

export interface EngineOptions {
  latencyMs: number;
  progressSteps: number;
  /**
   * Ended tasks kept in memory (default {@link FINISHED_TASKS_KEPT}), so a simulator that runs for days stays
   * flat: past that, the oldest ended task is forgotten (its queries and media answer 404, as for an unknown id).
   */
  finishedKept?: number;
  webhookSecret?: string;
  callbackRetry?: CallbackRetryPolicy;
  /** Account limits per dialect name (none: nothing is refused for load). */
  limits?: Readonly<Record<string, DialectLimits>>;
  /**
   * A journal file that keeps the tasks across restarts (simulator/journal.ts): read back at start, where unfinished
   * tasks carry on from where they were (without callbacks: their clients find them by polling).
   */
  journalFile?: string;
}

interface TaskRecord {
  task: SimTask;
  failureMessage: string | null;
  renderCallback: (task: SimTask) => unknown;
  signCallback: CallbackSigner | null;
  callsBackOn: (event: SimTaskEvent, task: SimTask) => boolean;
  outputRetentionMs: number | null;
  timers: NodeJS.Timeout[];
  callbackChain: Promise<void>;
  /** With `[sim:reorder-callbacks]`: progress callbacks held back until the terminal one has gone. */
  heldCallbacks?: unknown[];
  /** Read back from the journal: its callback renderer is gone, so it sends none. */
  restored?: boolean;
}

/** What one HTTP request did to the engine, for the server to act on (a lost answer must not be sent). */
export interface RequestScope {
  /** A task was accepted with `[sim:lost-response]`: the connection is dropped instead of answered. */
  loseResponse: boolean;
  /** A task was accepted with `[sim:delay=<ms>]`: the answer waits this long. */
  delayMs?: number;
}

/** Ended tasks kept in memory by default: far more than a workflow needs between a task's end and its archive. */
export const FINISHED_TASKS_KEPT = 1000;

export class TaskEngine {
  private readonly records = new Map<string, TaskRecord>();
  private readonly requests = new AsyncLocalStorage<RequestScope>();
  /** Ids of ended tasks whose callbacks have settled, oldest first: the ones that may be forgotten. */
  private ended: string[] = [];
  private readonly attempts = new Map<string, number>();
  private rejectionLog: SimRejection[] = [];
  private abort = new AbortController();
  private nextTaskNumber = 860_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e12)) * 1000n;

  private readonly defaultSigner: CallbackSigner | null;
  private readonly limits: AccountLimits;
  private readonly journal: Journal | null;

  constructor(private readonly options: EngineOptions) {
    this.defaultSigner = options.webhookSecret ? standardWebhooksSigner(options.webhookSecret) : null;
    this.limits = new AccountLimits(options.limits ?? {}, {
      // A cancelled task has stopped where it was (its status stays submitted/processing): it is no longer in flight.
      inFlight: (dialect, model) =>
        this.list({ dialect }).filter(
          (task) =>
            (task.status === 'submitted' || task.status === 'processing') &&
            task.cancelledAt === null &&
            (model === null || (task.model ?? task.product) === model),
        ).length,
    });
    this.journal = options.journalFile ? new Journal(options.journalFile) : null;
    this.restore();
  }

  /** Reads the journal back: every task as it was, unfinished ones carrying on for the time they had left. */
  private restore(): void {
    if (!this.journal) return;
    const state = this.journal.read();
    for (const [key, count] of state.attempts) this.attempts.set(key, count);
    this.rejectionLog.push(...state.rejections);
    for (const { task, failureMessage } of state.tasks) {
      const record: TaskRecord = {
        task,
        failureMessage,
        renderCallback: () => null,
        signCallback: null,
        timers: [],
        callbackChain: Promise.resolve(),
        restored: true,
        // A restored task sends no callbacks (its signer and renderer are gone); its outputs stay.
        callsBackOn: () => false,
        outputRetentionMs: task.faults.dataRemoved ? 0 : null,
      };
      this.records.set(task.taskId, record);
      const number = BigInt(task.taskId);
      if (number > this.nextTaskNumber) this.nextTaskNumber = number;
      if (task.status === 'submitted' || task.status === 'processing') this.schedule(record, Date.now() - task.createdAt);
      else this.ended.push(task.taskId);
    }
    // Ended tasks beyond the last `finishedKept` stay forgotten across a restart, in memory and in the journal.
    this.forgetOldest();
    this.journal.rewrite({ ...state, tasks: state.tasks.filter(({ task }) => this.records.has(task.taskId)) });
  }

  /**
   * The account-limit refusal a create of `model` gets now (too many tasks in flight, or too many creates in the
   * last minute), recorded among the rejections; null when the create may go ahead. Dialects call it after their
   * fault directives and before `accept`, with no await in between, so the count cannot change under them.
   */
  checkLimits(dialect: string, model: string | null): LimitRefusal | null {
    const refusal = this.limits.check(dialect, model);
    if (refusal) this.logRejection({ dialect, attemptKey: 'limit', attempt: 0, rejection: refusal, at: Date.now() });
    return refusal;
  }

  /** The most tasks each dialect had in flight at once (per model, for dialects limited per model). */
  peakInFlight(): Record<string, number> {
    return this.limits.peakInFlight();
  }

  /**
   * Counts one create attempt under `attemptKey` and returns the rejection a fault directive imposes
   * on it, or null if the attempt may proceed.
   */
  registerAttempt(dialect: string, attemptKey: string, faults: FaultPlan): SubmitRejection | null {
    const key = `${dialect}\u0000${attemptKey}`;
    const attempt = this.attempts.get(key) ?? 0;
    this.attempts.set(key, attempt + 1);
    this.journal?.append({ kind: 'attempt', key, count: attempt + 1 });
    const rejection = rejectionForAttempt(faults, attempt);
    if (rejection) this.logRejection({ dialect, attemptKey, attempt: attempt + 1, rejection, at: Date.now() });
    return rejection;
  }

  private logRejection(rejection: SimRejection): void {
    this.rejectionLog.push(rejection);
    this.journal?.append({ kind: 'rejection', rejection });
  }

  /** Runs one request's handling, collecting what it did in `scope`. */
  withinRequest<T>(scope: RequestScope, handle: () => T): T {
    return this.requests.run(scope, handle);
  }

  accept(input: AcceptTaskInput): SimTask {
    const now = Date.now();
    const scope = this.requests.getStore();
    if (scope && input.faults.lostResponse) scope.loseResponse = true;
    if (scope && input.faults.answerDelayMs !== null) scope.delayMs = input.faults.answerDelayMs;
    this.nextTaskNumber += 1n;
    const task: SimTask = {
      dialect: input.dialect,
      product: input.product,
      model: input.model ?? null,
      taskId: this.nextTaskNumber.toString(),
      externalTaskId: input.externalTaskId,
      status: 'submitted',
      statusMessage: null,
      progress: 0,
      createdAt: now,
      updatedAt: now,
      request: input.request,
      prompt: input.prompt,
      callbackUrl: input.callbackUrl,
      callbacksSent: 0,
      callbacksDelivered: 0,
      callbackAttempts: 0,
      lastCallbackError: null,
      videoId: randomUUID(),
      mediaRequests: 0,
      videoDownloads: 0,
      latencyMs: input.faults.latencyMs ?? this.options.latencyMs,
      faults: input.faults,
      cancelledAt: null,
      outputsRemovedAt: null,
      logs: [],
    };
    const record: TaskRecord = {
      task,
      failureMessage: input.failureMessage,
      renderCallback: input.renderCallback,
      signCallback: input.signCallback === undefined ? this.defaultSigner : input.signCallback,
      callsBackOn: input.callsBackOn ?? ((event) => event !== 'progress'),
      outputRetentionMs: input.faults.dataRemoved ? 0 : (input.outputRetentionMs ?? null),
      timers: [],
      callbackChain: Promise.resolve(),
    };
    this.records.set(task.taskId, record);
    this.journal?.append({ kind: 'task', task, failureMessage: input.failureMessage });
    this.limits.accepted(task.dialect, task.model ?? task.product);
    this.schedule(record);
    return task;
  }

  /** Live task (not a copy); dialects read it to render responses. */
  get(taskId: string): SimTask | undefined {
    return this.records.get(taskId)?.task;
  }

  findByExternalId(dialect: string, externalTaskId: string): SimTask | undefined {
    for (const { task } of this.records.values()) {
      if (task.dialect === dialect && task.externalTaskId === externalTaskId) return task;
    }
    return undefined;
  }

  /** Live tasks, oldest first. */
  list(filter: { dialect?: string; product?: string; externalTaskId?: string } = {}): SimTask[] {
    return [...this.records.values()]
      .map((record) => record.task)
      .filter(
        (task) =>
          (filter.dialect === undefined || task.dialect === filter.dialect) &&
          (filter.product === undefined || task.product === filter.product) &&
          (filter.externalTaskId === undefined || task.externalTaskId === filter.externalTaskId),
      );
  }

  rejections(): SimRejection[] {
    return [...this.rejectionLog];
  }

  /**
   * Cancels a task that has not ended: its lifecycle stops where it is (it never succeeds, so no video is ever
   * served), `cancelledAt` is set, and one 'cancelled' callback goes out where the task calls back on it. Returns
   * false, changing nothing, for an unknown task or one that already ended or was cancelled.
   */
  cancel(taskId: string): boolean {
    const record = this.records.get(taskId);
    if (!record) return false;
    const { task } = record;
    if (task.cancelledAt !== null || task.status === 'succeeded' || task.status === 'failed') return false;
    for (const timer of record.timers) clearTimeout(timer);
    record.timers = [];
    task.cancelledAt = Date.now();
    task.updatedAt = task.cancelledAt;
    if (record.callsBackOn('cancelled', task)) this.sendCallback(record);
    this.retire(record);
    return true;
  }

  countMediaRequest(taskId: string): void {
    const task = this.get(taskId);
    if (task) task.mediaRequests += 1;
  }

  /** Forgets every task and attempt count and abandons pending timers and callbacks. */
  reset(): void {
    this.stopAll();
    this.records.clear();
    this.ended = [];
    this.attempts.clear();
    this.rejectionLog = [];
    this.limits.reset();
    this.abort = new AbortController();
    this.journal?.rewrite({ tasks: [], attempts: new Map(), rejections: [] });
  }

  /** Stops timers and callbacks, then waits for in-flight callbacks to settle. */
  async close(): Promise<void> {
    const chains = [...this.records.values()].map((record) => record.callbackChain);
    this.stopAll();
    await Promise.allSettled(chains);
  }

  private stopAll(): void {
    this.abort.abort();
    for (const record of this.records.values()) {
      for (const timer of record.timers) clearTimeout(timer);
      record.timers = [];
    }
  }

  /** Sets the timers of a task's lifecycle; `elapsedMs` of it have passed already (a task read back after a restart). */
  private schedule(record: TaskRecord, elapsedMs = 0): void {
    const { latencyMs, faults } = record.task;
    const steps = Math.max(0, this.options.progressSteps);
    const slices = steps + 1;
    const later = (atMs: number) => Math.max(0, atMs - elapsedMs);
    for (let step = 1; step <= steps; step += 1) {
      const atMs = Math.round((latencyMs * step) / slices);
      if (atMs < elapsedMs) continue;
      const progress = Math.round((step / slices) * 100);
      this.at(record, later(atMs), () => this.advance(record, 'processing', progress));
    }
    if (faults.stuck) {
      if (steps === 0) this.at(record, 0, () => this.advance(record, 'processing', 0));
      return;
    }
    this.at(record, later(latencyMs), () => this.finish(record));
  }

  private at(record: TaskRecord, delayMs: number, action: () => void): void {
    const timer = setTimeout(() => {
      record.timers = record.timers.filter((t) => t !== timer);
      action();
    }, delayMs);
    timer.unref();
    record.timers.push(timer);
  }

  private finish(record: TaskRecord): void {
    if (record.failureMessage !== null) {
      record.task.statusMessage = record.failureMessage;
      this.advance(record, 'failed', record.task.progress);
    } else {
      this.advance(record, 'succeeded', 100);
    }
    const retention = record.outputRetentionMs;
    if (retention !== null) {
      this.at(record, retention, () => {
        record.task.outputsRemovedAt = Date.now();
      });
    }
    this.retire(record);
  }

  /**
   * An ended task may be forgotten once its callbacks have settled, oldest first, beyond the last `finishedKept`.
   * Its pending timers (output retention) go with it.
   */
  private retire(record: TaskRecord): void {
    const { taskId } = record.task;
    const signal = this.abort.signal;
    void record.callbackChain.then(() => {
      if (signal.aborted || this.records.get(taskId) !== record) return;
      this.ended.push(taskId);
      this.forgetOldest();
    });
  }

  /** Forgets ended tasks, oldest first, beyond the last `finishedKept`, with their pending timers. */
  private forgetOldest(): void {
    const kept = this.options.finishedKept ?? FINISHED_TASKS_KEPT;
    while (this.ended.length > kept) {
      const oldest = this.records.get(this.ended.shift() ?? '');
      if (!oldest) continue;
      for (const timer of oldest.timers) clearTimeout(timer);
      this.records.delete(oldest.task.taskId);
    }
  }

  private advance(record: TaskRecord, status: SimTaskStatus, progress: number): void {
    const { task } = record;
    // A task moves forward only: timers that expire together may run out of order under load, and a progress
    // step that runs after the terminal one (or after a later step) must not take the task back.
    if (task.status === 'succeeded' || task.status === 'failed') return;
    if (status === 'processing' && task.status === 'processing' && progress <= task.progress) return;
    const changed = task.status !== status;
    task.status = status;
    task.progress = progress;
    task.updatedAt = Date.now();
    if (status === 'processing') task.logs.push(`progress ${progress}%`);
    const terminal = status === 'succeeded' || status === 'failed';
    const event: SimTaskEvent = terminal ? 'finished' : changed ? 'started' : 'progress';
    if (!changed && terminal) return;
    this.journal?.append({
      kind: 'status',
      taskId: task.taskId,
      status,
      progress,
      statusMessage: task.statusMessage,
      updatedAt: task.updatedAt,
    });
    if (!record.callsBackOn(event, task)) return;
    if (task.faults.reorderCallbacks && !terminal) {
      // Rendered now (as the task is now), sent after the terminal one.
      record.heldCallbacks ??= [];
      record.heldCallbacks.push(record.renderCallback(task));
      return;
    }
    this.sendCallback(record);
    if (terminal && task.faults.duplicateCallback) this.sendCallback(record);
    if (terminal) for (const payload of record.heldCallbacks?.splice(0) ?? []) this.sendCallback(record, payload);
  }

  /** Queues one callback event (`payload`, or the task as it is now) behind the task's earlier ones, in order. */
  private sendCallback(record: TaskRecord, payload: unknown = record.renderCallback(record.task)): void {
    const { task } = record;
    if (!task.callbackUrl || task.faults.noCallback || record.restored) return;
    const event = { url: task.callbackUrl, payload, webhookId: `msg_${randomUUID()}` };
    const signal = this.abort.signal;
    task.callbacksSent += 1;
    record.callbackChain = record.callbackChain
      .then(async () => {
        const outcome = await deliverCallback(event, {
          signer: record.signCallback ?? undefined,
          retry: this.options.callbackRetry ?? DEFAULT_CALLBACK_RETRY,
          signal,
          onAttempt: () => {
            task.callbackAttempts += 1;
          },
        });
        if (outcome.delivered) task.callbacksDelivered += 1;
        else task.lastCallbackError = outcome.lastError ?? 'delivery abandoned';
      })
      .catch((error: unknown) => {
        task.lastCallbackError = error instanceof Error ? error.message : String(error);
      });
  }
}

// The dialect-neutral task engine: stores tasks, drives each one submitted → processing → terminal on
// timers, delivers callbacks in order, and counts create attempts for fault directives. Dialects own
// the wire shapes; the engine only knows the canonical lifecycle below.
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_CALLBACK_RETRY,
  deliverCallback,
  standardWebhooksSigner,
  type CallbackRetryPolicy,
  type CallbackSigner,
} from './callbacks.ts';
import { rejectionForAttempt, type FaultPlan, type SubmitRejection } from './faults.ts';

/** Canonical lifecycle; each dialect renders it in its own words (Kling legacy: `succeed`). */
export type SimTaskStatus = 'submitted' | 'processing' | 'succeeded' | 'failed';

export interface SimTask {
  dialect: string;
  /** Dialect-specific product, e.g. 'text2video'. */
  product: string;
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

/** A create attempt refused by a fault directive; no task exists for it. */
export interface SimRejection {
  dialect: string;
  attemptKey: string;
  attempt: number;
  rejection: SubmitRejection;
  at: number;
}

export interface AcceptTaskInput {
  dialect: string;
  product: string;
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
}

/** Ended tasks kept in memory by default: far more than a workflow needs between a task's end and its archive. */
export const FINISHED_TASKS_KEPT = 1000;

export class TaskEngine {
  private readonly records = new Map<string, TaskRecord>();
  /** Ids of ended tasks whose callbacks have settled, oldest first: the ones that may be forgotten. */
  private ended: string[] = [];
  private readonly attempts = new Map<string, number>();
  private rejectionLog: SimRejection[] = [];
  private abort = new AbortController();
  private nextTaskNumber = 860_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e12)) * 1000n;

  private readonly defaultSigner: CallbackSigner | null;

  constructor(private readonly options: EngineOptions) {
    this.defaultSigner = options.webhookSecret ? standardWebhooksSigner(options.webhookSecret) : null;
  }

  /**
   * Counts one create attempt under `attemptKey` and returns the rejection a fault directive imposes
   * on it, or null if the attempt may proceed.
   */
  registerAttempt(dialect: string, attemptKey: string, faults: FaultPlan): SubmitRejection | null {
    const key = `${dialect}\u0000${attemptKey}`;
    const attempt = this.attempts.get(key) ?? 0;
    this.attempts.set(key, attempt + 1);
    const rejection = rejectionForAttempt(faults, attempt);
    if (rejection) this.rejectionLog.push({ dialect, attemptKey, attempt: attempt + 1, rejection, at: Date.now() });
    return rejection;
  }

  accept(input: AcceptTaskInput): SimTask {
    const now = Date.now();
    this.nextTaskNumber += 1n;
    const task: SimTask = {
      dialect: input.dialect,
      product: input.product,
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
    this.abort = new AbortController();
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

  private schedule(record: TaskRecord): void {
    const { latencyMs, faults } = record.task;
    const steps = Math.max(0, this.options.progressSteps);
    const slices = steps + 1;
    for (let step = 1; step <= steps; step += 1) {
      const progress = Math.round((step / slices) * 100);
      this.at(record, Math.round((latencyMs * step) / slices), () => this.advance(record, 'processing', progress));
    }
    if (faults.stuck) {
      if (steps === 0) this.at(record, 0, () => this.advance(record, 'processing', 0));
      return;
    }
    this.at(record, latencyMs, () => this.finish(record));
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
      const kept = this.options.finishedKept ?? FINISHED_TASKS_KEPT;
      while (this.ended.length > kept) {
        const oldest = this.records.get(this.ended.shift() ?? '');
        if (!oldest) continue;
        for (const timer of oldest.timers) clearTimeout(timer);
        this.records.delete(oldest.task.taskId);
      }
    });
  }

  private advance(record: TaskRecord, status: SimTaskStatus, progress: number): void {
    const { task } = record;
    // Timers of a busy process can fire out of order: a task only ever moves forward.
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
    if (!record.callsBackOn(event, task)) return;
    this.sendCallback(record);
    if (terminal && task.faults.duplicateCallback) this.sendCallback(record);
  }

  /** Queues one callback event behind the task's earlier ones, so they arrive in status order. */
  private sendCallback(record: TaskRecord): void {
    const { task } = record;
    if (!task.callbackUrl || task.faults.noCallback) return;
    const event = { url: task.callbackUrl, payload: record.renderCallback(task), webhookId: `msg_${randomUUID()}` };
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

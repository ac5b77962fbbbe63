// Renders an engine task as a Replicate prediction object (Replicate HTTP API reference, the prediction object): the
// answer of create, get and cancel, and the webhook body (Replicate docs, "Webhooks": the same object). Also keeps
// which predictions were canceled, since the shared engine has no cancel: a canceled prediction keeps reading
// `canceled` whatever the engine does next.
import { randomBytes } from 'node:crypto';
import type { SimTask, TaskEngine } from '../engine.ts';
import { videoUrl } from '../media.ts';

export const REPLICATE_DIALECT = 'replicate';

/** The error text of a `[sim:content-policy]` failure. */
export const FLAGGED_ERROR = 'The input or output was flagged as sensitive content (E005).';

export type PredictionStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';

/** What the dialect stores as the task's request. */
export interface StoredPrediction {
  model: string;
  input: Record<string, unknown>;
}

/** Prediction ids look like Replicate's: 26 lower-case base32 characters. */
export function newPredictionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...randomBytes(26)].map((byte) => alphabet[byte % 32]).join('');
}

const cancellations = new WeakMap<TaskEngine, Map<string, number>>();

function cancellationsOf(engine: TaskEngine): Map<string, number> {
  let byTask = cancellations.get(engine);
  if (!byTask) {
    byTask = new Map();
    cancellations.set(engine, byTask);
  }
  return byTask;
}

/** Marks a running prediction canceled (a finished one is left as it is). */
export function cancelPrediction(engine: TaskEngine, task: SimTask): void {
  if (task.status === 'succeeded' || task.status === 'failed') return;
  const byTask = cancellationsOf(engine);
  if (!byTask.has(task.taskId)) byTask.set(task.taskId, Date.now());
}

function canceledAt(engine: TaskEngine, task: SimTask): number | undefined {
  return cancellations.get(engine)?.get(task.taskId);
}

export function predictionStatus(engine: TaskEngine, task: SimTask): PredictionStatus {
  if (canceledAt(engine, task) !== undefined) return 'canceled';
  switch (task.status) {
    case 'submitted':
      return 'starting';
    case 'processing':
      return 'processing';
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      return 'failed';
  }
}

/**
 * The prediction object. `mountUrl` is where the dialect is served (for `urls`), `baseUrl` the simulator root
 * (for media). `started_at` is the creation time: the engine does not record when processing began.
 */
export function renderPrediction(engine: TaskEngine, task: SimTask, urls: { mountUrl: string; baseUrl: string }): Record<string, unknown> {
  const stored = task.request as StoredPrediction;
  const id = task.externalTaskId ?? task.taskId;
  const status = predictionStatus(engine, task);
  const completedAt =
    status === 'canceled' ? canceledAt(engine, task) : task.status === 'succeeded' || task.status === 'failed' ? task.updatedAt : undefined;
  const startedAt = status === 'starting' ? undefined : task.createdAt;
  const seconds = (from: number, to: number) => Math.max(0, (to - from) / 1000);
  return {
    id,
    model: stored.model,
    version: 'hidden',
    input: stored.input,
    output: status === 'succeeded' ? videoUrl(urls.baseUrl, task) : null,
    logs: '',
    error: status === 'failed' ? task.statusMessage : null,
    status,
    data_removed: false,
    source: 'api',
    created_at: new Date(task.createdAt).toISOString(),
    started_at: startedAt === undefined ? null : new Date(startedAt).toISOString(),
    completed_at: completedAt === undefined ? null : new Date(completedAt).toISOString(),
    metrics:
      completedAt === undefined
        ? {}
        : { predict_time: seconds(task.createdAt, completedAt), total_time: seconds(task.createdAt, completedAt) },
    urls: {
      get: `${urls.mountUrl}/v1/predictions/${id}`,
      cancel: `${urls.mountUrl}/v1/predictions/${id}/cancel`,
      web: `${urls.mountUrl}/p/${id}`,
    },
  };
}

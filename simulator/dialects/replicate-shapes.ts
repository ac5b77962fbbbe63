// Renders an engine task as a Replicate prediction object (Replicate HTTP API reference, the prediction object): the
// answer of create, get and cancel, and the webhook body (Replicate docs, "Webhooks": the same object). A canceled
// prediction is the engine's cancelled task (its lifecycle stopped, so it never has an output); an hour after it ends
// a prediction's input, output and logs are removed (`data_removed`, Replicate docs, "Data retention").
import { randomBytes } from 'node:crypto';
import type { SimTask } from '../engine.ts';
import { videoUrl } from '../media.ts';

export const REPLICATE_DIALECT = 'replicate';

/** The error text of a `[sim:content-policy]` failure. */
export const FLAGGED_ERROR = 'The input or output was flagged as sensitive content (E005).';

export type PredictionStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';

/** What the dialect stores as the task's request. */
export interface StoredPrediction {
  model: string;
  /** The version id, when the prediction was created by version (`POST /v1/predictions`). */
  version?: string;
  input: Record<string, unknown>;
}

/** Prediction ids look like Replicate's: 26 lower-case base32 characters. */
export function newPredictionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...randomBytes(26)].map((byte) => alphabet[byte % 32]).join('');
}

export function predictionStatus(task: SimTask): PredictionStatus {
  if (task.cancelledAt !== null) return 'canceled';
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
 * The prediction object. `mountUrl` is where the dialect is served (for `urls`), `mediaUrl` the simulator root its
 * output links start with (https: Replicate's outputs are https URLs, and its client makes a `FileOutput` only of
 * those). `started_at` is the creation time: the engine does not record when processing began.
 */
export function renderPrediction(task: SimTask, urls: { mountUrl: string; mediaUrl: string }): Record<string, unknown> {
  const stored = task.request as StoredPrediction;
  const id = task.externalTaskId ?? task.taskId;
  const status = predictionStatus(task);
  const removed = task.outputsRemovedAt !== null;
  const completedAt =
    status === 'canceled'
      ? (task.cancelledAt ?? undefined)
      : task.status === 'succeeded' || task.status === 'failed'
        ? task.updatedAt
        : undefined;
  const startedAt = status === 'starting' ? undefined : task.createdAt;
  const seconds = (from: number, to: number) => Math.max(0, (to - from) / 1000);
  return {
    id,
    model: stored.model,
    version: stored.version ?? 'hidden',
    input: removed ? {} : stored.input,
    output: status === 'succeeded' && !removed ? videoUrl(urls.mediaUrl, task) : null,
    logs: removed ? '' : task.logs.map(progressLine).join(''),
    error: status === 'failed' ? task.statusMessage : null,
    status,
    data_removed: removed,
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

/**
 * A progress line as Kling models on Replicate print them: a tqdm bar (`25%|██▌       | 25/100`), which the official
 * client's `parseProgressFromLogs` reads.
 */
function progressLine(line: string): string {
  const percent = Number(/(\d+)%/.exec(line)?.[1] ?? 0);
  const filled = Math.round(percent / 10);
  return `${String(percent).padStart(3)}%|${'█'.repeat(filled)}${' '.repeat(10 - filled)}| ${percent}/100\n`;
}

// Renders an engine task in the Kling v3 REST wire shapes: the create answer and `GET /v1/videos/{task_id}`.
import type { SimTask, SimTaskStatus } from '../engine.ts';
import { videoUrl } from '../media.ts';
import type { KlingV3RestCreateBody } from './kling-v3-rest-schemas.ts';

export const KLING_V3_REST_DIALECT = 'kling-v3-rest';

/** A failed task's `error`: the tutorial reads `error.code` and `error.message` of a failed job. */
export interface TaskFailure {
  code: string;
  message: string;
}

export const CONTENT_POLICY_FAILURE: TaskFailure = {
  code: 'CONTENT_POLICY_VIOLATION',
  message: 'The generated content was blocked by the content filter',
};

const STATUS_WORDS: Readonly<Record<SimTaskStatus, string>> = {
  submitted: 'pending',
  processing: 'processing',
  succeeded: 'completed',
  failed: 'failed',
};

export function statusWord(status: SimTaskStatus): string {
  return STATUS_WORDS[status];
}

/**
 * A failed task's error from its fault plan: `[sim:content-policy]` is CONTENT_POLICY_VIOLATION, `[sim:fail=...]`
 * is INTERNAL_ERROR ("server-side failure", the documented code closest to a failed generation) with its text.
 */
export function failureOf(task: SimTask): TaskFailure {
  if (task.faults.failure?.kind === 'content-policy') return CONTENT_POLICY_FAILURE;
  return { code: 'INTERNAL_ERROR', message: task.statusMessage ?? 'generation failed' };
}

/** The task as `GET /v1/videos/{task_id}` shows it: `video.url` once completed, `error` once failed. */
export function renderTask(task: SimTask, baseUrl: string): Record<string, unknown> {
  const body = task.request as KlingV3RestCreateBody;
  const rendered: Record<string, unknown> = {
    task_id: task.taskId,
    status: statusWord(task.status),
    model: body.model,
  };
  if (task.status === 'succeeded') {
    rendered.video = { url: videoUrl(baseUrl, task), duration: body.duration, resolution: body.resolution };
  }
  if (task.status === 'failed') {
    rendered.error = failureOf(task);
  }
  return rendered;
}

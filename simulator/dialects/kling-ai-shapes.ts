// Renders an engine task as the `kling-ai` dialect's status answer (`GET /v1/video/status/{task_id}`):
// `status` is `completed` or `failed` at the end and `pending`/`processing` before (the document: "otherwise in
// progress"), the result is in `output`, a failure's reason in `error`.
import type { SimTask, SimTaskStatus } from '../engine.ts';
import { thumbnailUrl, videoUrl } from '../media.ts';
import { DEFAULT_DURATION_SECONDS, DEFAULT_RESOLUTION, type CreateVideoBody } from './kling-ai-schemas.ts';

export const KLING_AI_DIALECT = 'kling-ai';

const STATUS_WORDS: Readonly<Record<SimTaskStatus, string>> = {
  submitted: 'pending',
  processing: 'processing',
  succeeded: 'completed',
  failed: 'failed',
};

export const CONTENT_POLICY_FAILURE = {
  code: 'CONTENT_POLICY_VIOLATION',
  message: 'Generation blocked: the prompt or the generated content violates the content policy',
} as const;
const GENERATION_FAILED = 'GENERATION_FAILED';

export function statusWord(status: SimTaskStatus): string {
  return STATUS_WORDS[status];
}

/** The answer to a create: the task id and its first status. */
export function createdTaskBody(task: SimTask): Record<string, unknown> {
  return { task_id: task.taskId, status: statusWord(task.status), created_at: new Date(task.createdAt).toISOString() };
}

export function taskStatusBody(task: SimTask, baseUrl: string): Record<string, unknown> {
  const request = task.request as CreateVideoBody;
  const body: Record<string, unknown> = {
    task_id: task.taskId,
    model: request.model,
    status: statusWord(task.status),
    progress: task.progress,
    created_at: new Date(task.createdAt).toISOString(),
    updated_at: new Date(task.updatedAt).toISOString(),
  };
  if (task.status === 'succeeded') {
    body.output = {
      video_url: videoUrl(baseUrl, task),
      thumbnail_url: thumbnailUrl(baseUrl, task),
      duration: request.duration ?? DEFAULT_DURATION_SECONDS,
      resolution: request.resolution ?? DEFAULT_RESOLUTION,
    };
  }
  if (task.status === 'failed') {
    body.error =
      task.faults.failure?.kind === 'content-policy'
        ? { ...CONTENT_POLICY_FAILURE }
        : { code: GENERATION_FAILED, message: task.statusMessage ?? 'Generation failed' };
  }
  return body;
}

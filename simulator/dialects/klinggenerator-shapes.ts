// Renders an engine task as a klinggenerator job: the create answer and `GET /v1/jobs/{job_id}` (klinggenerator.com's
// "Kling API Documentation", "Generate Video" and "Check Status").
import type { SimTask, SimTaskStatus } from '../engine.ts';
import { thumbnailUrl, videoUrl } from '../media.ts';

export const KLINGGENERATOR_DIALECT = 'klinggenerator';

const JOB_ID_PREFIX = 'job_';

/** The page shows `processing` right after creation, then `completed`; `failed` is the simulator's failure word. */
const STATUS_WORDS: Readonly<Record<SimTaskStatus, string>> = {
  submitted: 'processing',
  processing: 'processing',
  succeeded: 'completed',
  failed: 'failed',
};

/** Simulator defaults where the page names none. */
const DEFAULT_DURATION_SECONDS = 5;
const DEFAULT_RESOLUTION = '1080p';

export const CONTENT_POLICY_FAILURE = { code: 'content_policy_violation', message: 'The prompt was refused by content moderation' };
export const GENERATION_FAILED_CODE = 'generation_failed';

interface StoredBody {
  duration?: number;
  resolution?: string;
}

export function jobIdOf(task: SimTask): string {
  return `${JOB_ID_PREFIX}${task.taskId}`;
}

/** The engine task id inside a job id, or undefined when it is not one of ours. */
export function taskIdOf(jobId: string): string | undefined {
  return jobId.startsWith(JOB_ID_PREFIX) && jobId.length > JOB_ID_PREFIX.length ? jobId.slice(JOB_ID_PREFIX.length) : undefined;
}

const iso = (epochMs: number): string => new Date(epochMs).toISOString();

export function createdAnswer(task: SimTask): Record<string, unknown> {
  return {
    job_id: jobIdOf(task),
    status: STATUS_WORDS[task.status],
    created_at: iso(task.createdAt),
    estimated_completion: iso(task.createdAt + task.latencyMs),
  };
}

/** The status answer. A failed job says why under `error` ({code, message}; the page names no field). */
export function jobAnswer(task: SimTask, baseUrl: string): Record<string, unknown> {
  const body = (task.request ?? {}) as StoredBody;
  const answer: Record<string, unknown> = {
    job_id: jobIdOf(task),
    status: STATUS_WORDS[task.status],
    progress: task.progress,
    duration: body.duration ?? DEFAULT_DURATION_SECONDS,
    resolution: body.resolution ?? DEFAULT_RESOLUTION,
    created_at: iso(task.createdAt),
  };
  if (task.status === 'succeeded') {
    answer.video_url = videoUrl(baseUrl, task);
    answer.thumbnail_url = thumbnailUrl(baseUrl, task);
    answer.completed_at = iso(task.updatedAt);
  }
  if (task.status === 'failed') {
    const code = task.faults.failure?.kind === 'content-policy' ? CONTENT_POLICY_FAILURE.code : GENERATION_FAILED_CODE;
    answer.error = { code, message: task.statusMessage ?? 'generation failed' };
    answer.completed_at = iso(task.updatedAt);
  }
  return answer;
}

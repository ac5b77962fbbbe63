// Renders an engine task in kling3api's wire shapes: public task ids carry the backend prefix (n75 Kling 3.0,
// n71 O3), statuses are IN_PROGRESS / SUCCESS / FAILED, and `data.response` lists the video URLs.
import type { SimTask, SimTaskStatus } from '../engine.ts';
import { videoUrl } from '../media.ts';
import { consumedCredits } from './kling3api-pricing.ts';
import { isO3Type, type GenerateBody, type TaskType } from './kling3api-schemas.ts';

export const KLING3API_DIALECT = 'kling3api';

export const CONTENT_POLICY_MESSAGE = 'Generation failed: the content violates the content policy (risk control)';

const KLING_V3_PREFIX = 'n75';
const O3_PREFIX = 'n71';

/** The document prints IN_PROGRESS and SUCCESS; the failure word is not printed, FAILED is the simulator's. */
const STATUS_WORDS: Readonly<Record<SimTaskStatus, string>> = {
  submitted: 'IN_PROGRESS',
  processing: 'IN_PROGRESS',
  succeeded: 'SUCCESS',
  failed: 'FAILED',
};

export function prefixOfType(type: TaskType): string {
  return isO3Type(type) ? O3_PREFIX : KLING_V3_PREFIX;
}

export function publicTaskId(task: SimTask): string {
  return `${prefixOfType(task.product as TaskType)}${task.taskId}`;
}

/** The engine id and backend prefix of a public task id, or null when it has neither known prefix. */
export function parsePublicTaskId(id: string): { prefix: string; engineId: string } | null {
  const prefix = [KLING_V3_PREFIX, O3_PREFIX].find((candidate) => id.startsWith(candidate));
  if (!prefix || id.length === prefix.length) return null;
  return { prefix, engineId: id.slice(prefix.length) };
}

export function statusWord(status: SimTaskStatus): string {
  return STATUS_WORDS[status];
}

export function creditsOf(task: SimTask): number {
  return consumedCredits(task.product, task.request as GenerateBody);
}

/** The `data` of a status answer. */
export function statusData(task: SimTask, baseUrl: string): Record<string, unknown> {
  return {
    task_id: publicTaskId(task),
    status: statusWord(task.status),
    consumed_credits: creditsOf(task),
    created_at: new Date(task.createdAt).toISOString(),
    request: task.request,
    response: task.status === 'succeeded' ? [videoUrl(baseUrl, task)] : [],
    error_message: task.status === 'failed' ? task.statusMessage : null,
    type: task.product,
  };
}

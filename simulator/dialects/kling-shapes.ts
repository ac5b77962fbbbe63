// Renders an engine task in the Kling legacy wire shapes: the query-one `data` (Kling API reference, "Text to Video")
// and the callback payload ("Callback Protocol", not wrapped in the envelope).
import type { SimTask, SimTaskStatus } from '../engine.ts';
import { videoUrl } from '../media.ts';

export const KLING_DIALECT = 'kling';

export const CONTENT_POLICY_MESSAGE =
  "Failure to pass the risk control system: the content violates the platform's content security policy";

const STATUS_WORDS: Readonly<Record<SimTaskStatus, string>> = {
  submitted: 'submitted',
  processing: 'processing',
  succeeded: 'succeed',
  failed: 'failed',
};

/** Simulator convention, not Kling's price list: 1 unit per 5 s in std, 2 in pro, 4 in 4k. */
const UNITS_PER_FIVE_SECONDS: Readonly<Record<string, number>> = { std: 1, pro: 2, '4k': 4 };

interface StoredBody {
  duration?: string;
  mode?: string;
  watermark_info?: { enabled?: boolean };
}

export function klingStatusWord(status: SimTaskStatus): string {
  return STATUS_WORDS[status];
}

/** The `data` object of create and query responses. */
export function klingTaskData(task: SimTask, baseUrl: string): Record<string, unknown> {
  const body = (task.request ?? {}) as StoredBody;
  const watermark = body.watermark_info?.enabled === true;
  const data: Record<string, unknown> = {
    task_id: task.taskId,
    task_status: klingStatusWord(task.status),
    task_status_msg: task.statusMessage ?? '',
    task_info: task.externalTaskId === null ? {} : { external_task_id: task.externalTaskId },
    watermark_info: { enabled: watermark },
    final_unit_deduction: unitDeduction(task, body),
    created_at: task.createdAt,
    updated_at: task.updatedAt,
  };
  if (task.status === 'succeeded') {
    const url = videoUrl(baseUrl, task);
    const video: Record<string, string> = { id: task.videoId, url, duration: body.duration ?? '5' };
    if (watermark) video.watermark_url = `${url}?watermark=1`;
    data.task_result = { videos: [video] };
  }
  return data;
}

/** The callback body: the task object itself, without `watermark_info`. */
export function klingCallbackPayload(task: SimTask, baseUrl: string): Record<string, unknown> {
  const { watermark_info: _omitted, ...payload } = klingTaskData(task, baseUrl);
  return payload;
}

function unitDeduction(task: SimTask, body: StoredBody): string {
  if (task.status !== 'succeeded') return '0';
  const perFive = UNITS_PER_FIVE_SECONDS[body.mode ?? 'std'] ?? 1;
  return String((Number(body.duration ?? '5') / 5) * perFive);
}

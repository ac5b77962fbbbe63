// The account balance `GET /v1/account/info` reports: a starting balance less what every accepted task costs
// by the tutorial's credit table (kling-v3: 10/15/25 credits per 5 s at 720p/1080p/4k, doubled for 10 s, +3
// with audio). The table has no rows for kling-v1 and kling-v1-5; the simulator charges them the same rows.
import type { SimTask } from '../engine.ts';
import type { KlingV3RestCreateBody } from './kling-v3-rest-schemas.ts';

export const STARTING_BALANCE_CREDITS = 10_000;

const CREDITS_PER_FIVE_SECONDS: Readonly<Record<string, number>> = { '720p': 10, '1080p': 15, '4k': 25 };
const AUDIO_CREDITS = 3;

export function creditsOfTask(task: SimTask): number {
  const body = task.request as KlingV3RestCreateBody;
  const perFive = CREDITS_PER_FIVE_SECONDS[body.resolution] ?? 0;
  return (body.duration / 5) * perFive + (body.audio_enabled ? AUDIO_CREDITS : 0);
}

export function remainingBalance(tasks: readonly SimTask[]): number {
  return tasks.reduce((balance, task) => balance - creditsOfTask(task), STARTING_BALANCE_CREDITS);
}

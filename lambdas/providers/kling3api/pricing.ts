// The kling3api credit price table (kling3api.com, "Kling 3.0 API Documentation", "Available Models"), and the
// estimate built from it.
// The document prices in credits only; it gives no USD rate, so estimates carry `credits` and no `usd`.
import type { Mode, ResolvedRequest } from '../../domain/job.ts';

/** Kling 3.0 types: credits per second, by quality, without and with native audio. */
export const KLING_V3_CREDITS_PER_SECOND = {
  pro: { silent: 54, withAudio: 80 },
  std: { silent: 40, withAudio: 60 },
} as const;

/** Kling Video O3 types: credits per second by quality and mode (no audio surcharge is listed). */
export const KLING_O3_CREDITS_PER_SECOND = {
  pro: { 'text-to-video': 48, 'image-to-video': 48, 'reference-to-video': 72 },
  std: { 'text-to-video': 36, 'image-to-video': 36, 'reference-to-video': 20 },
} as const;

/** O3 video edits have a fixed price whatever the input's length (their duration is "auto"). */
export const KLING_O3_VIDEO_EDIT_CREDITS = { pro: 435, std: 360 } as const;

/** `sound` defaults to true on the provider, so a request that leaves `audio` unset is priced with audio. */
const SOUND_DEFAULT = true;

/** Credits the request should cost, or undefined when the table has no row for it (an unknown model or mode). */
export function estimateKling3apiCredits(request: ResolvedRequest, mode: Mode): number | undefined {
  const quality = request.quality;
  if (request.model === 'kling-v3') {
    if (mode !== 'text-to-video' && mode !== 'image-to-video') return undefined;
    const rates = KLING_V3_CREDITS_PER_SECOND[quality];
    const perSecond = (request.audio ?? SOUND_DEFAULT) ? rates.withAudio : rates.silent;
    return perSecond * request.durationSeconds;
  }
  if (request.model === 'kling-o3') {
    if (mode === 'video-edit') return KLING_O3_VIDEO_EDIT_CREDITS[quality];
    if (mode === 'multi-shot') return undefined;
    return KLING_O3_CREDITS_PER_SECOND[quality][mode] * request.durationSeconds;
  }
  return undefined;
}

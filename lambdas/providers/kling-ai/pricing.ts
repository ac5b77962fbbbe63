// Credit prices of the `kling-ai` dialect, from the "Official API Pricing: Credit Costs Per Model" table of
// "Kling AI API Guide: Pricing, Setup, and Integration (2026)" (kling3.pro blog; credits per second of output, by
// model, resolution and audio), and the dollar value of a credit from the same guide's "Real cost for a 10-second
// 1080p clip" table.
import type { Cost, Mode, ResolvedRequest } from '../../domain/job.ts';

export type KlingAiResolution = '720p' | '1080p';

/** Every example in the source sends `"resolution": "1080p"`, so that is what a request without one asks for. */
export const KLING_AI_DEFAULT_RESOLUTION: KlingAiResolution = '1080p';

/**
 * Credits per second. Rows of the source table:
 *   Kling V3 720p 6 · V3 1080p 8 · O3 (no audio) 720p 12 · 1080p 16 · O3 (with audio) 720p 15 · 1080p 20 ·
 *   O3 multi-shot 1080p 24.
 * "Motion Control — Premium (higher than V3)" and "Image Generation — Lower cost tier" have no figure.
 */
const CREDITS_PER_SECOND = {
  'kling-v3': { '720p': 6, '1080p': 8 },
  'kling-o3': { '720p': 12, '1080p': 16 },
  'kling-o3+audio': { '720p': 15, '1080p': 20 },
  'kling-o3+multi-shot': { '1080p': 24 },
} as const satisfies Record<string, Partial<Record<KlingAiResolution, number>>>;

/**
 * 80 credits ≈ $0.32, 200 ≈ $0.80, 360 ≈ $1.44 in the source's 10-second table: $0.004 a credit. The source
 * writes these with "~" (credit packs are bought at different prices), so the dollar figure is an estimate too.
 */
export const KLING_AI_USD_PER_CREDIT = 0.004;

/**
 * The estimate for a request, or undefined where the source gives no price: Motion Control ("premium"), an
 * Omni Edit (video-edit; no row), and multi-shot at 720p (the multi-shot row is 1080p only). The multi-shot row
 * does not say whether audio changes it, so 24 credits/s is used with or without audio.
 */
export function estimateKlingAiCost(request: ResolvedRequest, mode: Mode): Omit<Cost, 'estimated'> | undefined {
  const perSecond = creditsPerSecond(request, mode);
  if (perSecond === undefined) return undefined;
  const credits = perSecond * request.durationSeconds;
  return { credits, usd: Math.round(credits * KLING_AI_USD_PER_CREDIT * 10_000) / 10_000 };
}

function creditsPerSecond(request: ResolvedRequest, mode: Mode): number | undefined {
  const resolution = request.resolution ?? KLING_AI_DEFAULT_RESOLUTION;
  if (resolution !== '720p' && resolution !== '1080p') return undefined;
  const rows: Partial<Record<KlingAiResolution, number>> | undefined = rowOf(request, mode);
  return rows?.[resolution];
}

function rowOf(request: ResolvedRequest, mode: Mode): Partial<Record<KlingAiResolution, number>> | undefined {
  if (mode === 'video-edit') return undefined;
  switch (request.model) {
    case 'kling-v3':
      return CREDITS_PER_SECOND['kling-v3'];
    case 'kling-o3':
      if (mode === 'multi-shot') return CREDITS_PER_SECOND['kling-o3+multi-shot'];
      return withAudio(request) ? CREDITS_PER_SECOND['kling-o3+audio'] : CREDITS_PER_SECOND['kling-o3'];
    default:
      return undefined;
  }
}

/** Audio is on when asked for, or when a voice is given (a voice needs audio; the adapter sends `audio: true`). */
export function withAudio(request: Pick<ResolvedRequest, 'audio' | 'voice'>): boolean {
  return request.audio ?? request.voice !== undefined;
}

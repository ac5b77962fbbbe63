// The credit table of the Kling v3 REST API (provider `kling-v3-rest`), from its tutorial (aiapiplaybook.com,
// "How to Use Kling v3 API: Complete Python Tutorial 2026", section "Performance and Cost Reference"):
//
//   kling-v3  720p  5 s → 10 credits    10 s → 20 credits
//   kling-v3 1080p  5 s → 15 credits    10 s → 30 credits
//   kling-v3    4k  5 s → 25 credits    10 s → 50 credits
//   audio_enabled: +3 credits per job, whatever the resolution
//   USD: $0.01 per credit ("standard pricing")
//
// The table prices kling-v3 only; kling-v1 and kling-v1-5 have no rows, so they get no estimate. The tutorial's
// FAQ quotes a looser "$0.14–$0.28 per clip"; the table is the precise source and is what is used here.
// The table does not tell text-to-video from image-to-video, so both pay the same.

export type KlingV3RestResolution = '720p' | '1080p' | '4k';

export const KLING_V3_REST_USD_PER_CREDIT = 0.01;
export const KLING_V3_REST_AUDIO_CREDITS = 3;

/** Credits per job by model, resolution and duration in seconds. */
const CREDITS_PER_JOB: Readonly<Record<string, Readonly<Record<KlingV3RestResolution, Readonly<Record<number, number>>>>>> = {
  'kling-v3': {
    '720p': { 5: 10, 10: 20 },
    '1080p': { 5: 15, 10: 30 },
    '4k': { 5: 25, 10: 50 },
  },
};

export interface KlingV3RestPriceQuery {
  model: string;
  resolution: KlingV3RestResolution;
  durationSeconds: number;
  audio: boolean;
}

/** Credits and USD of one job, or undefined when the table has no row for it. */
export function klingV3RestPrice(query: KlingV3RestPriceQuery): { credits: number; usd: number } | undefined {
  const base = CREDITS_PER_JOB[query.model]?.[query.resolution]?.[query.durationSeconds];
  if (base === undefined) return undefined;
  const credits = base + (query.audio ? KLING_V3_REST_AUDIO_CREDITS : 0);
  // Whole cents, so 0.1 + 0.03 never shows up as 0.13000000000000003.
  const usd = Math.round(credits * KLING_V3_REST_USD_PER_CREDIT * 100) / 100;
  return { credits, usd };
}

// What a kling3api task costs, from the document's credit table ("Available Models"); reported as
// `consumed_credits`. The simulator's own copy: it does not borrow the adapter's table.

/** Kling 3.0 types: credits per second without and with audio. */
const KLING_V3_RATES: Readonly<Record<string, { silent: number; withAudio: number }>> = {
  'pro-text-to-video': { silent: 54, withAudio: 80 },
  'pro-image-to-video': { silent: 54, withAudio: 80 },
  'std-text-to-video': { silent: 40, withAudio: 60 },
  'std-image-to-video': { silent: 40, withAudio: 60 },
};

/** O3 types: credits per second. */
const O3_RATES: Readonly<Record<string, number>> = {
  'o3-pro-text-to-video': 48,
  'o3-pro-image-to-video': 48,
  'o3-pro-reference-to-video': 72,
  'o3-std-text-to-video': 36,
  'o3-std-image-to-video': 36,
  'o3-std-reference-to-video': 20,
};

/** O3 video edits: a fixed price. */
const O3_FIXED: Readonly<Record<string, number>> = { 'o3-pro-video-edit': 435, 'o3-std-video-edit': 360 };

export function consumedCredits(type: string, body: { duration?: number; sound?: boolean }): number {
  const seconds = body.duration ?? 5;
  const v3 = KLING_V3_RATES[type];
  if (v3) return (body.sound === false ? v3.silent : v3.withAudio) * seconds;
  const o3 = O3_RATES[type];
  if (o3 !== undefined) return o3 * seconds;
  return O3_FIXED[type] ?? 0;
}

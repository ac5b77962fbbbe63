// Every fact about Replicate that klingflow relies on, in one file, each with the public document it comes from: when
// Replicate changes something, this file changes. Replicate's official client (`replicate` on npm) ships no model
// input types, so there is no catalog to check these against mechanically; the model pages are the source, and
// where they are silent the choice is marked ASSUMED.
//
// Sources, by the names used below:
// - the HTTP API reference (https://replicate.com/docs/reference/http): `predictions.create`,
//   `models.predictions.create`, `predictions.get`, `predictions.cancel`, the prediction object and its statuses;
// - the docs "Create a prediction" (https://replicate.com/docs/topics/predictions/create-a-prediction), "Webhooks"
//   (https://replicate.com/docs/topics/webhooks), "Rate limits" (https://replicate.com/docs/topics/predictions/rate-limits)
//   and "Data retention" (https://replicate.com/docs/topics/predictions/data-retention);
// - the changelog "Prediction deadlines" (https://replicate.com/changelog/2025-10-16-prediction-deadlines);
// - the model API pages of kwaivgi/kling-v2.1 and kwaivgi/kling-v2.5-turbo-pro (https://replicate.com/kwaivgi/<name>/api).
import type { ErrorKind } from '../../domain/errors.ts';
import type { CanonicalStatus } from '../port.ts';

// ---------------------------------------------------------------------------------------------------------------
// Models (their API pages).

export const REPLICATE_MODEL_V21 = 'kwaivgi/kling-v2.1';
export const REPLICATE_MODEL_V25_TURBO_PRO = 'kwaivgi/kling-v2.5-turbo-pro';

/** `duration`: "integer, default 5" on both pages; 5 and 10 are Kling's own v2.x lengths (ASSUMED). */
export const REPLICATE_DURATIONS_SECONDS: readonly number[] = [5, 10];
export const REPLICATE_DEFAULT_DURATION_SECONDS = 5;
/** `aspect_ratio` of v2.5-turbo-pro: "default 16:9"; Kling's three ratios (ASSUMED). v2.1 has no aspect ratio input. */
export const REPLICATE_ASPECT_RATIOS = ['16:9', '9:16', '1:1'] as const;
/** `mode` of v2.1: `standard` (720p) or `pro` (1080p), both 24 fps; `end_image` needs `pro`. */
export const REPLICATE_V21_MODES = { std: 'standard', pro: 'pro' } as const;
/**
 * `prompt`: listed on both pages without being marked; public copies of both pages mark it required (ASSUMED
 * required: klingflow refuses a request without one at create rather than let Replicate answer 422).
 */
export const REPLICATE_PROMPT_REQUIRED = true;

// ---------------------------------------------------------------------------------------------------------------
// Files ("Create a prediction").

/** "use data URLs only for files ≤256kb": larger inputs must arrive as URLs. */
export const REPLICATE_DATA_URL_MAX_BYTES = 256 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// Statuses (the prediction object; "Prediction deadlines" adds `aborted`).

/**
 * Prediction statuses and their canonical statuses. `aborted` (its `Cancel-After` deadline passed before it started)
 * is a failure worth retrying; a `succeeded` prediction whose output was already removed is reported failed too.
 */
export const REPLICATE_STATUSES = {
  starting: 'pending',
  processing: 'processing',
  succeeded: 'succeeded',
  failed: 'failed',
  canceled: 'cancelled',
  aborted: 'failed',
} as const satisfies Record<string, CanonicalStatus>;

// ---------------------------------------------------------------------------------------------------------------
// Webhooks ("Webhooks").

/** `webhook_events_filter` values: `start`, `output`, `logs`, `completed`. */
export const REPLICATE_WEBHOOK_EVENT_NAMES = ['start', 'output', 'logs', 'completed'] as const;
/** The events klingflow asks for: `start` lets the job show PROCESSING early; `completed` brings the result. */
export const REPLICATE_WEBHOOK_EVENTS = ['start', 'completed'] as const satisfies readonly (typeof REPLICATE_WEBHOOK_EVENT_NAMES)[number][];

// ---------------------------------------------------------------------------------------------------------------
// Errors and limits ("Rate limits", "Data retention").

/**
 * The HTTP statuses Replicate's docs name for a refused request, with their kinds: the throttle (429, with
 * `Retry-After` and `{"detail": "Request was throttled. Your rate limit resets in ~30s."}`).
 */
export const REPLICATE_ERROR_STATUSES: Readonly<Record<number, ErrorKind>> = { 429: 'rate_limited' };
/** The throttle's wording: "resets in ~30s", the wait when no Retry-After header came with it. */
export const REPLICATE_RATE_LIMIT_RESET = /resets in ~?\s*(\d+)\s*s/i;
/** "all input parameters, output values, output files, and logs are automatically removed after an hour". */
export const REPLICATE_DATA_RETENTION_SECONDS = 3600;

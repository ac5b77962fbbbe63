// Error answers of the `kling-ai` dialect. The source (the "Kling AI API Guide: Pricing, Setup, and Integration (2026)"
// article, "Troubleshooting: Common API Errors and How to Fix Them") documents the statuses and their causes: 401 (key
// missing, invalid or expired), 403 (insufficient credits or model not on the plan), 429 (rate limit), 500 (transient).
// It shows no error body, so the simulator answers `{"error": {"code", "message"}}`, the codes below being its own
// names for those causes.
import type { ServerResponse } from 'node:http';
import { sendJson } from '../http.ts';

export const KLING_AI_ERRORS = {
  INVALID_REQUEST: { http: 400, message: 'Invalid request parameters' },
  UNAUTHORIZED: { http: 401, message: 'API key missing, invalid or expired: send "Authorization: Bearer <your_api_key>"' },
  INSUFFICIENT_CREDITS: { http: 403, message: 'Insufficient credits: check the credit balance in the developer console' },
  MODEL_NOT_IN_PLAN: { http: 403, message: 'The model is not on your API plan: check the API plan subscription in the developer console' },
  NOT_FOUND: { http: 404, message: 'No such endpoint' },
  TASK_NOT_FOUND: { http: 404, message: 'No such task' },
  RATE_LIMIT_EXCEEDED: { http: 429, message: "Too many requests: your plan's rate limit was exceeded" },
  INTERNAL_ERROR: { http: 500, message: 'Internal server error: retry with exponential backoff' },
} as const satisfies Record<string, { http: number; message: string }>;

export type KlingAiErrorCode = keyof typeof KLING_AI_ERRORS;

/** The code a bare `[sim:http<status>]` directive answers with, for the statuses that have one. */
const CODE_OF_STATUS: Readonly<Record<number, { code: string; message: string }>> = {
  400: { code: 'INVALID_REQUEST', message: KLING_AI_ERRORS.INVALID_REQUEST.message },
  401: { code: 'UNAUTHORIZED', message: KLING_AI_ERRORS.UNAUTHORIZED.message },
  // The document's own wording: either cause is possible.
  403: { code: 'FORBIDDEN', message: 'Insufficient credits or model not on your plan' },
  429: { code: 'RATE_LIMIT_EXCEEDED', message: KLING_AI_ERRORS.RATE_LIMIT_EXCEEDED.message },
  500: { code: 'INTERNAL_ERROR', message: KLING_AI_ERRORS.INTERNAL_ERROR.message },
  503: { code: 'SERVICE_UNAVAILABLE', message: 'Service temporarily unavailable' },
};

/** How long a rate-limited caller is told to wait. */
export const RATE_LIMIT_WINDOW_SECONDS = 1;
const RATE_LIMIT_PER_MINUTE = 60;

export function isKlingAiErrorCode(code: string): code is KlingAiErrorCode {
  return Object.hasOwn(KLING_AI_ERRORS, code);
}

/**
 * Sends a documented error; `message` overrides the default text, `retryAfterSeconds` the wait a 429's rate-limit
 * headers announce (default {@link RATE_LIMIT_WINDOW_SECONDS}).
 */
export function sendKlingAiError(res: ServerResponse, code: KlingAiErrorCode, message?: string, retryAfterSeconds?: number): void {
  const known = KLING_AI_ERRORS[code];
  sendErrorBody(res, known.http, code, message ?? known.message, retryAfterSeconds);
}

/** Sends the answer of a `[sim:http<status>]` directive in the dialect's error shape. */
export function sendKlingAiHttpError(res: ServerResponse, status: number): void {
  const known = CODE_OF_STATUS[status] ?? { code: `HTTP_${status}`, message: `HTTP ${status}` };
  sendErrorBody(res, status, known.code, known.message);
}

function sendErrorBody(res: ServerResponse, status: number, code: string, message: string, retryAfterSeconds?: number): void {
  sendJson(
    res,
    status,
    { error: { code, message } },
    status === 429 ? rateLimitHeaders(retryAfterSeconds ?? RATE_LIMIT_WINDOW_SECONDS) : {},
  );
}

function rateLimitHeaders(waitSeconds: number): Record<string, string> {
  const resetAt = Math.ceil(Date.now() / 1000) + waitSeconds;
  return {
    'retry-after': String(waitSeconds),
    'x-ratelimit-limit': String(RATE_LIMIT_PER_MINUTE),
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': String(resetAt),
  };
}

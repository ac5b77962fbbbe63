// The Kling v3 REST error codes (aiapiplaybook.com's Kling v3 API Python tutorial, "Error Handling") with their HTTP
// statuses, and the `{error: {code, message}}` body every refusal carries.
import type { ServerResponse } from 'node:http';
import { sendJson } from '../http.ts';

export const KLING_V3_REST_ERRORS = {
  INVALID_PARAMETER: { http: 400, message: 'Bad parameter value' },
  UNAUTHORIZED: { http: 401, message: 'Missing or invalid API key' },
  INSUFFICIENT_CREDITS: { http: 402, message: 'Account balance too low' },
  CONTENT_POLICY_VIOLATION: { http: 422, message: 'Prompt triggered content filter' },
  RATE_LIMIT_EXCEEDED: { http: 429, message: 'Too many requests per minute' },
  INTERNAL_ERROR: { http: 500, message: 'Server-side failure' },
  MODEL_OVERLOADED: { http: 503, message: 'High server load, retry after 30-60s' },
} as const;

export type KlingV3RestErrorCode = keyof typeof KLING_V3_REST_ERRORS;

/** Not in the tutorial: the simulator's answer for an unknown task or path. */
export const NOT_FOUND_CODE = 'NOT_FOUND';

export function isKlingV3RestErrorCode(code: string): code is KlingV3RestErrorCode {
  return Object.hasOwn(KLING_V3_REST_ERRORS, code);
}

/**
 * Sends a documented error with its HTTP status; `message` overrides the default text. `retryAfterSeconds` adds a
 * `Retry-After` header (the tutorial names none; the simulator sends the standard one with a rate-limit refusal).
 */
export function sendKlingV3RestError(res: ServerResponse, code: KlingV3RestErrorCode, message?: string, retryAfterSeconds?: number): void {
  const known = KLING_V3_REST_ERRORS[code];
  const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
  sendJson(res, known.http, { error: { code, message: message ?? known.message } }, headers);
}

export function sendNotFound(res: ServerResponse, message: string): void {
  sendJson(res, 404, { error: { code: NOT_FOUND_CODE, message } });
}

// kling3api error answers (kling3api.com's "Kling 3.0 API Documentation", "Error Codes"): the documented codes with
// their HTTP statuses, rendered in the `{code, message, data}` envelope with the code string in `code`, plus the
// success envelope (`code: 200`).
import type { ServerResponse } from 'node:http';
import { sendJson } from '../http.ts';

/** The codes the document lists, with its HTTP statuses and descriptions. */
export const KLING3API_DOCUMENTED_ERRORS = {
  INVALID_PROMPT: { http: 400, message: 'The prompt is invalid or empty' },
  INVALID_DURATION: { http: 400, message: 'Duration out of supported range' },
  INVALID_TYPE: { http: 400, message: 'Unsupported task type' },
  MISSING_IMAGE: { http: 400, message: 'Image is required for image-to-video tasks' },
  MISSING_VIDEO: { http: 400, message: 'Video is required for video-edit tasks' },
  INVALID_API_KEY: { http: 401, message: 'API key is missing or invalid' },
  INSUFFICIENT_CREDITS: { http: 402, message: 'Not enough credits for this operation' },
  RATE_LIMITED: { http: 429, message: 'Too many requests, please slow down' },
  INTERNAL_ERROR: { http: 500, message: 'Server error, please try again later' },
} as const;

/**
 * Answers the document has no code for; the simulator's own choice: another invalid field (INVALID_REQUEST) and an
 * unknown task id or path (TASK_NOT_FOUND, NOT_FOUND).
 */
const SIMULATOR_ERRORS = {
  INVALID_REQUEST: { http: 400, message: 'The request is invalid' },
  TASK_NOT_FOUND: { http: 404, message: 'Task not found' },
  NOT_FOUND: { http: 404, message: 'Not found' },
} as const;

export type Kling3apiDocumentedCode = keyof typeof KLING3API_DOCUMENTED_ERRORS;
export type Kling3apiErrorCode = Kling3apiDocumentedCode | keyof typeof SIMULATOR_ERRORS;

const ALL_ERRORS: Readonly<Record<Kling3apiErrorCode, { http: number; message: string }>> = {
  ...KLING3API_DOCUMENTED_ERRORS,
  ...SIMULATOR_ERRORS,
};

/** Seconds a RATE_LIMITED answer asks the client to wait (`Retry-After`; the document names no header). */
export const RATE_LIMIT_RETRY_AFTER_SECONDS = 2;

export function isDocumentedCode(code: string): code is Kling3apiDocumentedCode {
  return Object.hasOwn(KLING3API_DOCUMENTED_ERRORS, code);
}

/**
 * Sends `{code, message, data: null}` with the code's HTTP status; `message` overrides the default text, and
 * `retryAfterSeconds` the `Retry-After` of a RATE_LIMITED answer (default {@link RATE_LIMIT_RETRY_AFTER_SECONDS}).
 */
export function sendKling3apiError(res: ServerResponse, code: Kling3apiErrorCode, message?: string, retryAfterSeconds?: number): void {
  const known = ALL_ERRORS[code];
  const headers: Record<string, string> =
    code === 'RATE_LIMITED' ? { 'retry-after': String(retryAfterSeconds ?? RATE_LIMIT_RETRY_AFTER_SECONDS) } : {};
  sendJson(res, known.http, { code, message: message ?? known.message, data: null }, headers);
}

export function sendKling3apiSuccess(res: ServerResponse, data: unknown): void {
  sendJson(res, 200, { code: 200, message: 'success', data });
}

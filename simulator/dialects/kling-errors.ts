// Kling business codes (Kling API reference, "Error Codes") with their HTTP statuses, and the error envelope.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AuthFailureReason } from '../auth.ts';
import { sendJson } from '../http.ts';

export const KLING_ERRORS: Readonly<Record<number, { http: number; message: string }>> = {
  1000: { http: 401, message: 'Authentication failed' },
  1001: { http: 401, message: 'Authorization is empty' },
  1002: { http: 401, message: 'Authorization is invalid' },
  1003: { http: 401, message: 'Authorization is not yet valid' },
  1004: { http: 401, message: 'Authorization has expired' },
  1100: { http: 429, message: 'Account exception' },
  1101: { http: 429, message: 'Account in arrears (postpaid scenario)' },
  1102: { http: 429, message: 'Resource pack exhausted or expired (prepaid scenario)' },
  1103: { http: 403, message: 'Unauthorized access to requested resource, such as API/model' },
  1200: { http: 400, message: 'Invalid request parameters' },
  1201: { http: 400, message: 'Invalid parameters, such as an incorrect key or invalid value' },
  1202: { http: 404, message: 'The requested method is invalid' },
  1203: { http: 404, message: 'The requested resource does not exist' },
  1300: { http: 400, message: 'Trigger strategy of the platform' },
  1301: { http: 400, message: "Trigger the platform's content security policy" },
  1302: { http: 429, message: "The API request is too fast, exceeding the platform's rate limit" },
  1303: { http: 429, message: 'parallel task over resource pack limit' },
  1304: { http: 429, message: "Trigger the platform's IP whitelist policy" },
  5000: { http: 500, message: 'Server internal error' },
  5001: { http: 503, message: 'Server temporarily unavailable, usually due to maintenance' },
  5002: { http: 504, message: 'Server internal timeout, usually due to a backlog' },
};

export const AUTH_FAILURE_CODES: Readonly<Record<AuthFailureReason, number>> = {
  missing: 1001,
  invalid: 1002,
  'not-yet-valid': 1003,
  expired: 1004,
};

export function isKlingErrorCode(code: number): boolean {
  return Object.hasOwn(KLING_ERRORS, code);
}

/** Sends `{code, message, request_id}` with the code's HTTP status; `message` overrides the default text. */
export function sendKlingError(res: ServerResponse, code: number, message?: string): void {
  const known = KLING_ERRORS[code] ?? { http: 500, message: 'Server internal error' };
  sendJson(res, known.http, { code, message: message ?? known.message, request_id: randomUUID() });
}

export function sendKlingSuccess(res: ServerResponse, data: unknown): void {
  sendJson(res, 200, { code: 0, message: 'SUCCEED', request_id: randomUUID(), data });
}

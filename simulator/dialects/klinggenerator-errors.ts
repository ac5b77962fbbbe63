// klinggenerator error answers. The page ("Error Codes") documents the HTTP statuses 401, 402, 429 and 500 but
// not the body; the simulator answers `{ "error": { "code", "message" } }`, with a snake_case code per status
// (a simulator convention). Every answer carries `X-RateLimit-Remaining` ("Rate Limit Headers").
import type { ServerResponse } from 'node:http';
import { sendJson } from '../http.ts';

export const RATE_LIMIT_REMAINING_HEADER = 'x-ratelimit-remaining';
/** Not on the page: seconds until a refused caller may try again (what the adapter reads, if present). */
export const RATE_LIMIT_RESET_HEADER = 'x-ratelimit-reset';

interface ErrorSpec {
  code: string;
  message: string;
}

/** The documented statuses, plus the ones a working API needs (400 bad body, 404 unknown job). */
export const KLINGGENERATOR_ERRORS: Readonly<Record<number, ErrorSpec>> = {
  400: { code: 'invalid_request', message: 'The request body is not valid' },
  401: { code: 'unauthorized', message: 'The API key is missing or not valid' },
  402: { code: 'insufficient_credits', message: 'Not enough credits left for this generation' },
  404: { code: 'not_found', message: 'No such job' },
  429: { code: 'rate_limit_exceeded', message: 'Too many requests; the request quota is used up' },
  500: { code: 'internal_error', message: 'Something went wrong on our side; contact support' },
};

/** The statuses the page documents, which a `[sim:<status>]` directive may name. */
export const DOCUMENTED_ERROR_STATUSES: readonly number[] = [401, 402, 429, 500];

/** A `[sim:...]` provider code as a status: a documented status number, or one of their body codes. */
export function statusOfProviderCode(code: string): number | undefined {
  if (/^\d+$/.test(code)) return DOCUMENTED_ERROR_STATUSES.includes(Number(code)) ? Number(code) : undefined;
  const wanted = code.toLowerCase();
  return DOCUMENTED_ERROR_STATUSES.find((status) => KLINGGENERATOR_ERRORS[status]?.code === wanted);
}

/** Sends `{error: {code, message}}` with `X-RateLimit-Remaining` and any `extraHeaders`. */
export function sendKlingGeneratorError(
  res: ServerResponse,
  status: number,
  remaining: number,
  message?: string,
  extraHeaders: Record<string, string> = {},
): void {
  const spec = KLINGGENERATOR_ERRORS[status] ?? { code: status >= 500 ? 'server_error' : 'request_error', message: `HTTP ${status}` };
  sendJson(
    res,
    status,
    { error: { code: spec.code, message: message ?? spec.message } },
    { [RATE_LIMIT_REMAINING_HEADER]: String(remaining), ...extraHeaders },
  );
}

export function sendKlingGeneratorJson(res: ServerResponse, body: unknown, remaining: number): void {
  sendJson(res, 200, body, { [RATE_LIMIT_REMAINING_HEADER]: String(remaining) });
}

// Replicate's error answers (Replicate docs, "Rate limits", and the HTTP API reference): a JSON body whose `detail`
// says why, with the HTTP status as the only code. The 429 carries `Retry-After` and the documented "resets in ~Ns"
// wording. `title` and `status` are added the way problem-details bodies carry them; clients read `detail`.
import type { ServerResponse } from 'node:http';
import { sendJson } from '../http.ts';

/** Seconds a throttled client is told to wait. */
export const RATE_LIMIT_RESET_SECONDS = 30;

interface ReplicateErrorMeaning {
  status: number;
  title: string;
  detail: string;
}

/** The fault answered for a code nobody knows: Replicate's internal error. */
const INTERNAL_FAULT: ReplicateErrorMeaning = { status: 500, title: 'Internal server error', detail: 'Something went wrong on our side.' };

/**
 * The named errors a `[sim:<NAME>]` directive can impose on a create (Replicate has no numeric codes, so the names
 * are the simulator's own). `[sim:http<status>]` gives the same body shape for any status.
 */
export const REPLICATE_FAULT_CODES: Readonly<Record<string, ReplicateErrorMeaning>> = {
  UNAUTHENTICATED: { status: 401, title: 'Unauthenticated', detail: 'No valid API token was given.' },
  INSUFFICIENT_CREDIT: { status: 402, title: 'Insufficient credit', detail: 'The account has no credit left to run this model.' },
  FORBIDDEN: { status: 403, title: 'Forbidden', detail: 'This token may not run this model.' },
  NOT_FOUND: { status: 404, title: 'Not found', detail: 'The requested resource does not exist.' },
  INVALID_INPUT: { status: 422, title: 'Input validation failed', detail: 'The input does not match the model schema.' },
  FLAGGED_INPUT: { status: 422, title: 'Input validation failed', detail: 'The input was flagged as sensitive content.' },
  RATE_LIMITED: {
    status: 429,
    title: 'Request was throttled',
    detail: `Request was throttled. Your rate limit resets in ~${RATE_LIMIT_RESET_SECONDS}s.`,
  },
  INTERNAL: INTERNAL_FAULT,
  UNAVAILABLE: { status: 503, title: 'Service unavailable', detail: 'The service is temporarily unavailable.' },
};

export function isReplicateFaultCode(code: string): boolean {
  return Object.hasOwn(REPLICATE_FAULT_CODES, code);
}

/** Sends `{title, detail, status}` with that status (and `Retry-After` on a 429). */
export function sendReplicateError(
  res: ServerResponse,
  status: number,
  detail: string,
  title = titleOf(status),
  retryAfterSeconds = RATE_LIMIT_RESET_SECONDS,
): void {
  const headers: Record<string, string> = status === 429 ? { 'retry-after': String(retryAfterSeconds) } : {};
  sendJson(res, status, { title, detail, status }, headers);
}

/** A throttled create: 429, `Retry-After` and the documented "resets in ~Ns" wording, both saying `waitSeconds`. */
export function sendReplicateThrottled(res: ServerResponse, waitSeconds: number): void {
  sendReplicateError(res, 429, `Request was throttled. Your rate limit resets in ~${waitSeconds}s.`, 'Request was throttled', waitSeconds);
}

export function sendReplicateFault(res: ServerResponse, code: string): void {
  const meaning = REPLICATE_FAULT_CODES[code] ?? INTERNAL_FAULT;
  sendReplicateError(res, meaning.status, meaning.detail, meaning.title);
}

/** The body of a `[sim:http<status>]` rejection. */
export function sendReplicateHttpFault(res: ServerResponse, status: number): void {
  const named = Object.values(REPLICATE_FAULT_CODES).find((meaning) => meaning.status === status);
  sendReplicateError(res, status, named?.detail ?? `The simulator answered HTTP ${status}.`, named?.title);
}

function titleOf(status: number): string {
  if (status === 401) return 'Unauthenticated';
  if (status === 404) return 'Not found';
  if (status === 422) return 'Input validation failed';
  if (status === 429) return 'Request was throttled';
  return status >= 500 ? 'Server error' : 'Bad request';
}

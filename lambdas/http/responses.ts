// API Gateway HTTP API (payload v2) requests and responses in the contract's shapes (docs/api.md, "Errors"): the
// error body, reading a JSON body safely (its content type, its bytes as UTF-8, its JSON), and path parameters.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type * as z from '../domain/zod.ts';
import { type AuthorizerContext, type Caller, callerFromAuthorizer } from '../domain/caller.ts';
import { isWellFormedText } from '../domain/job.ts';
import { counted } from '../domain/counted.ts';
import { issueMessage, meaningfulIssues } from '../domain/schema-issues.ts';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** One problem with a request: the field (dotted path, a header or parameter name, or `body`) and what is wrong. */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** A JSON answer with `content-type: application/json` and any extra headers. */
export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** The most `details` an error answer lists; the rest are counted in one last detail. */
export const MAX_ERROR_DETAILS = 25;

/** The longest `path` or `message` of a detail, in characters; a longer one is cut and ends with `…`. */
export const MAX_DETAIL_CHARS = 1000;

const cut = (text: string): string => (text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS - 1)}…` : text);

/**
 * `details` as answered: at most {@link MAX_ERROR_DETAILS} of them, each path and message at most
 * {@link MAX_DETAIL_CHARS} characters, and past the limit one detail `{path: 'body', message: 'and N more problems'}`.
 * A hostile body (a million unknown keys) thus gets a small answer, not one of tens of megabytes (over Lambda's 6 MB
 * response limit on AWS, where it would become a 5xx).
 */
export function boundedDetails(details: ErrorDetail[]): ErrorDetail[] {
  const shown = details.slice(0, MAX_ERROR_DETAILS).map((d) => ({ path: cut(d.path), message: cut(d.message) }));
  const more = details.length - shown.length;
  return more > 0 ? [...shown, { path: 'body', message: `and ${counted(more, 'more problem')}` }] : shown;
}

/** `{"error": {code, message, details?}}`; `details` only when there are some, bounded ({@link boundedDetails}). */
export const errorResponse = (statusCode: number, code: string, message: string, details?: ErrorDetail[]): HttpResult =>
  json(statusCode, { error: { code, message: cut(message), ...(details?.length ? { details: boundedDetails(details) } : {}) } });

/**
 * An error about one field (`path`: a body field, `jobId`, `cursor`, a header such as `content-type`): `detail`
 * says what is wrong with it, `message` (default: the field's name and the detail) is the error's own.
 */
export const fieldError = (statusCode: number, code: string, path: string, detail: string, message = `${path} ${detail}`): HttpResult =>
  errorResponse(statusCode, code, message, [{ path, message: detail }]);

/**
 * zod issues as `{path, message}`, with the path dotted (`shots.0.prompt`) and the empty path as `root`: one cause
 * per field (domain/schema-issues.ts).
 */
export const zodDetails = (error: z.core.$ZodError, root = 'body'): ErrorDetail[] =>
  meaningfulIssues(error.issues).map((issue) => ({
    path: issue.path.length ? issue.path.join('.') : root,
    message: issueMessage(issue),
  }));

/** A header's value, whatever case API Gateway (or a client) wrote its name in. */
export function headerOf(event: HttpEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/**
 * Whether the request declares a JSON body: `Content-Type: application/json`, in any letter case, optionally with a
 * `charset` of `utf-8`. Returns the problem when it does not, for a `415`.
 */
export function jsonContentTypeProblem(event: HttpEvent): string | undefined {
  const raw = headerOf(event, 'content-type');
  if (raw === undefined || raw.trim() === '') return "is missing; send 'application/json'";
  const [mediaType = '', ...parameters] = raw.split(';').map((part) => part.trim());
  const shown = raw.length > 100 ? `${raw.slice(0, 100)}…` : raw;
  if (mediaType.toLowerCase() !== 'application/json') return `must be 'application/json', not '${shown}'`;
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=').map((part) => part.trim().replace(/^"|"$/g, ''));
    if (name.toLowerCase() === 'charset' && value.toLowerCase() !== 'utf-8') return `must use charset utf-8, not '${value}'`;
  }
  return undefined;
}

/**
 * Whether the request body has a content coding klingflow does not read: any `Content-Encoding` but `identity`
 * (API Gateway passes a compressed body on as it came). Returns the problem when it does, for a `415` (RFC 9110
 * §15.5.16: a content coding the server does not accept).
 */
export function contentEncodingProblem(event: HttpEvent): string | undefined {
  const raw = headerOf(event, 'content-encoding');
  if (raw === undefined) return undefined;
  const codings = raw
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (!codings.length) return undefined;
  const shown = raw.length > 100 ? `${raw.slice(0, 100)}…` : raw;
  return `is '${shown}'; send the body uncompressed (no Content-Encoding, or 'identity')`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The raw body as text, whatever API Gateway did to it (base64 for bodies it took for binary), or `undefined` when
 * its bytes are not valid UTF-8 (or, given as text, it holds a lone surrogate).
 */
export function rawBody(event: HttpEvent): string | undefined {
  if (event.body === undefined || event.body === null) return '';
  if (event.isBase64Encoded) {
    try {
      return utf8.decode(Buffer.from(event.body, 'base64'));
    } catch {
      return undefined;
    }
  }
  return isWellFormedText(event.body) ? event.body : undefined;
}

/**
 * The `415` for a body that is not sent as uncompressed JSON (another content type, a content coding such as gzip),
 * naming `content-type`, `content-encoding` or both in its details; `undefined` when both headers are right.
 */
export function jsonHeadersProblem(event: HttpEvent): HttpResult | undefined {
  // Both headers' problems at once, as every answer reports every problem.
  const headerProblems = [
    ['content-type', jsonContentTypeProblem(event)],
    ['content-encoding', contentEncodingProblem(event)],
  ].flatMap(([path = '', message]) => (message ? [{ path, message }] : []));
  if (headerProblems.length === 1) {
    const [{ path, message }] = headerProblems as [ErrorDetail];
    return fieldError(415, 'UNSUPPORTED_MEDIA_TYPE', path, message);
  }
  if (headerProblems.length) {
    return errorResponse(415, 'UNSUPPORTED_MEDIA_TYPE', 'the body is not sent as uncompressed application/json', headerProblems);
  }
  return undefined;
}

/**
 * Reads a JSON body, or answers why it cannot be read: `415` for another content type or a content coding (gzip and
 * the like, {@link jsonHeadersProblem}), `422` for bytes that are not UTF-8, `400` for an empty body or invalid JSON.
 * Every answer names `content-type`, `content-encoding` or `body` in its details.
 */
export function parseJsonBody(event: HttpEvent): { ok: true; value: unknown } | { ok: false; response: HttpResult } {
  const headersProblem = jsonHeadersProblem(event);
  if (headersProblem) return { ok: false, response: headersProblem };
  const text = rawBody(event);
  if (text === undefined) {
    return { ok: false, response: fieldError(422, 'VALIDATION_FAILED', 'body', 'is not valid UTF-8; send JSON encoded as UTF-8') };
  }
  if (!text.trim()) return { ok: false, response: fieldError(400, 'MALFORMED_REQUEST', 'body', 'is empty; send a JSON object') };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, response: fieldError(400, 'MALFORMED_REQUEST', 'body', `is not valid JSON (${(error as Error).message})`) };
  }
}

/**
 * Who is calling (domain/caller.ts): the IAM principal or JWT subject on AWS, the bearer token's name locally, and
 * whether they are an admin (`adminPrincipals`: IAM ARN patterns; JWT and local: the `klingflow:admin` scope).
 */
export function callerOf(event: HttpEvent, adminPrincipals: readonly string[] = []): Caller {
  const authorizer = (event.requestContext as { authorizer?: AuthorizerContext }).authorizer;
  return callerFromAuthorizer(authorizer, adminPrincipals);
}

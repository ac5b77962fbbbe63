// API Gateway HTTP API (payload v2) responses in the contract's shapes (docs/api.md, "Errors").
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ZodError } from 'zod';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface ErrorDetail {
  path: string;
  message: string;
}

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const errorResponse = (statusCode: number, code: string, message: string, details?: ErrorDetail[]): HttpResult =>
  json(statusCode, { error: { code, message, ...(details?.length ? { details } : {}) } });

/** zod issues as `{path, message}`, with the path dotted (`shots.0.prompt`) and the empty path as `root`. */
export const zodDetails = (error: ZodError, root = 'body'): ErrorDetail[] =>
  error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.join('.') : root,
    message: issue.message,
  }));

/** The raw body as text, whatever API Gateway did to it. */
export const rawBody = (event: HttpEvent): string =>
  event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;

/** Parses a JSON body, or answers why it could not (400). */
export function parseJsonBody(event: HttpEvent): { ok: true; value: unknown } | { ok: false; response: HttpResult } {
  const text = rawBody(event);
  if (!text.trim())
    return { ok: false, response: errorResponse(400, 'MALFORMED_REQUEST', 'the request body is empty; send a JSON object') };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return {
      ok: false,
      response: errorResponse(400, 'MALFORMED_REQUEST', `the request body is not valid JSON (${(error as Error).message})`),
    };
  }
}

/** Who is calling: the IAM principal or JWT subject on AWS, the bearer-token holder locally. */
export function callerOf(event: HttpEvent): string {
  const authorizer = (event.requestContext as { authorizer?: { iam?: { userArn?: string }; jwt?: { claims?: Record<string, unknown> } } })
    .authorizer;
  const subject = authorizer?.iam?.userArn ?? authorizer?.jwt?.claims?.sub;
  return typeof subject === 'string' && subject ? subject : 'anonymous';
}

// Small HTTP helpers shared by every route file: the route shape, body reading and replies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SubmitRejection } from './faults.ts';

export const MAX_BODY_BYTES = 20 * 1024 * 1024;

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Capture groups of the route pattern, already URI-decoded. */
  params: string[];
  /** Raw request body as UTF-8 text ('' for bodiless requests). */
  body: string;
}

export interface Route {
  methods: readonly string[];
  pattern: RegExp;
  handle(context: RouteContext): Promise<void> | void;
}

export class BodyTooLargeError extends Error {}

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new BodyTooLargeError(`request body exceeds ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** Finds the route for a method and path; `methodAllowed` is false when only the path matched. */
export function matchRoute(
  routes: readonly Route[],
  method: string,
  path: string,
): { route: Route; params: string[] } | { route: null; pathMatched: boolean } {
  let pathMatched = false;
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    if (!route.methods.includes(method)) {
      pathMatched = true;
      continue;
    }
    return { route, params: match.slice(1).map((part) => decodeURIComponent(part ?? '')) };
  }
  return { route: null, pathMatched };
}

/** How `[sim:http<status>]` rejections are answered: in the dialect's own error shape, or as a gateway's HTML page. */
export type GatewayErrorMode = 'provider' | 'html';

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The reason phrase of an HTTP status ("Bad Gateway"), or `HTTP <status>`. */
export function reasonOf(status: number): string {
  return REASONS[status] ?? `HTTP ${status}`;
}

/** A gateway's error page (a load balancer or CDN in front of the provider): HTML, not JSON. */
export function sendGatewayPage(res: ServerResponse, status: number): void {
  const title = `${status} ${reasonOf(status)}`;
  const page = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  sendText(res, status, page, 'text/html');
}

/**
 * In `html` mode, answers a `[sim:http<status>]` rejection as a gateway's HTML page and returns true; otherwise
 * (a provider-code rejection, or `provider` mode) answers nothing and returns false, for the dialect to answer.
 */
export function answeredByGateway(mode: GatewayErrorMode, res: ServerResponse, rejection: SubmitRejection): boolean {
  if (rejection.kind !== 'http' || mode !== 'html') return false;
  sendGatewayPage(res, rejection.status);
  return true;
}

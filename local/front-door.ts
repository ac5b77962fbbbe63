// The local HTTP front door: what API Gateway does on AWS. It matches the same route table (lambdas/http/
// routes.ts), checks the bearer token on authenticated routes, and hands the handlers real HTTP API v2 events.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isUtf8 } from 'node:buffer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ROUTES, routeKey, type Route } from '../lambdas/http/routes.ts';
import { ADMIN_SCOPE } from '../lambdas/domain/caller.ts';
import type { LambdaHost } from './lambda-host.ts';

const MAX_BODY_BYTES = 10 * 1024 * 1024; // API Gateway's payload limit

interface Match {
  route: Route;
  pathParameters: Record<string, string>;
}

const compiled = ROUTES.map((route) => {
  const names: string[] = [];
  const pattern = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, names, regex: new RegExp(`^${pattern}$`) };
});

/** A path parameter that is not valid percent-encoding (`%ZZ`, a lone `%`, or bytes that are not UTF-8). */
interface BadParameter {
  badParameter: string;
}

/** `decodeURIComponent`, or `undefined` for text it cannot decode. */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function match(method: string, path: string): Match | BadParameter | 'method-not-allowed' | undefined {
  let pathMatched = false;
  for (const { route, names, regex } of compiled) {
    const found = regex.exec(path);
    if (!found) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    const pathParameters: Record<string, string> = {};
    for (const [i, name] of names.entries()) {
      const decoded = decodeSegment(found[i + 1] ?? '');
      if (decoded === undefined) return { badParameter: name };
      pathParameters[name] = decoded;
    }
    return { route, pathParameters };
  }
  return pathMatched ? 'method-not-allowed' : undefined;
}

/** The contract's error shape; `path` names the field at fault, as the handlers' errors do. */
function sendJson(res: ServerResponse, status: number, code: string, message: string, path?: string): void {
  const details = path ? { details: [{ path, message }] } : {};
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message, ...details } }));
}

/** A bearer token the front door accepts: its holder's name (the owner of their jobs) and whether they are an admin. */
export interface LocalToken {
  name: string;
  token: string;
  admin: boolean;
}

/** The holder of the token in an `Authorization: Bearer` header, or `undefined`. Every token is compared in full. */
function holderOf(header: string | undefined, tokens: readonly LocalToken[]): LocalToken | undefined {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  let holder: LocalToken | undefined;
  for (const candidate of tokens) {
    const expected = Buffer.from(candidate.token);
    if (given.length === expected.length && timingSafeEqual(given, expected)) holder = candidate;
  }
  return holder;
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function toEvent(req: IncomingMessage, url: URL, matched: Match, body: Buffer, holder: LocalToken | undefined): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  // As API Gateway: repeated names joined with commas. Own fields only, so `__proto__` stays a parameter the
  // handler can refuse by name instead of becoming the object's prototype.
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, key) => {
    const joined = Object.hasOwn(query, key) ? `${query[key]},${value}` : value;
    Object.defineProperty(query, key, { value: joined, enumerable: true, writable: true, configurable: true });
  });
  // Text goes as text only when it is valid UTF-8; anything else as base64, so the handler sees the very bytes.
  const isText = /json|text|x-www-form-urlencoded/.test(headers['content-type'] ?? 'application/json') && isUtf8(body);
  const now = new Date();
  const key = routeKey(matched.route);
  return {
    version: '2.0',
    routeKey: key,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(matched.pathParameters).length ? { pathParameters: matched.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: key,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      // The bearer token stands in for the JWT authorizer: its name is the subject, an admin token has the admin scope.
      ...(matched.route.auth && holder
        ? { authorizer: { jwt: { claims: { sub: holder.name }, scopes: holder.admin ? [ADMIN_SCOPE] : [] } } }
        : {}),
    } as APIGatewayProxyEventV2['requestContext'],
    ...(body.length
      ? { body: isText ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !isText }
      : { isBase64Encoded: false }),
  };
}

function writeResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2 | string | undefined): void {
  if (typeof result === 'string' || result === undefined) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(result ?? '');
    return;
  }
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
  const body = result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  res.writeHead(result.statusCode ?? 200, headers).end(body);
}

export interface FrontDoor {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the route table on 127.0.0.1:`port`; authenticated routes take any of `tokens`. */
export async function startFrontDoor(host: LambdaHost, options: { port: number; tokens: readonly LocalToken[] }): Promise<FrontDoor> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        let url: URL;
        try {
          url = new URL(req.url ?? '/', 'http://127.0.0.1');
        } catch {
          return sendJson(res, 400, 'MALFORMED_REQUEST', 'the request target is not a valid path', 'path');
        }
        const matched = match(req.method ?? 'GET', url.pathname);
        if (matched === undefined) return sendJson(res, 404, 'NOT_FOUND', `no route ${req.method} ${url.pathname}`, 'route');
        if (matched === 'method-not-allowed')
          return sendJson(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}`, 'method');
        if ('badParameter' in matched) {
          const name = matched.badParameter;
          return sendJson(res, 400, 'MALFORMED_REQUEST', `${name} is not valid percent-encoding (write '%' as %25)`, name);
        }
        const holder = matched.route.auth ? holderOf(req.headers.authorization, options.tokens) : undefined;
        if (matched.route.auth && !holder) {
          return sendJson(res, 401, 'UNAUTHORIZED', 'send Authorization: Bearer <token> (printed by npm start)', 'Authorization');
        }
        const body = await readBody(req);
        if (body === 'too-large') return sendJson(res, 413, 'PAYLOAD_TOO_LARGE', 'the body is larger than 10 MB', 'body');
        const result = await host.invoke(matched.route.handler, toEvent(req, url, matched, body, holder), 30_000);
        writeResult(res, result as APIGatewayProxyStructuredResultV2);
      } catch (error) {
        // What API Gateway answers when a Lambda integration fails.
        process.stderr.write(`front door: handler failed: ${(error as Error).stack ?? String(error)}\n`);
        if (!res.headersSent) sendJson(res, 500, 'INTERNAL', 'Internal Server Error');
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

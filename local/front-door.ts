// The local HTTP front door: what API Gateway does on AWS. It matches the same route table (lambdas/http/
// routes.ts), authenticates the authenticated routes (a bearer token, or in SigV4 mode an AWS Signature Version 4
// checked against fixed local test credentials, as the IAM authorizer would), answers CORS as API Gateway does
// (lambdas/http/cors.ts), and hands the handlers real HTTP API v2 events.
// One route of its own, not deployed: `GET /v1/metrics` (authenticated like the others), the sums of the handlers'
// metric lines (local/metrics.ts); on AWS the same lines are CloudWatch metrics.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isUtf8 } from 'node:buffer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { corsHeaders } from '../lambdas/http/cors.ts';
import { ROUTES, routeKey, type Route } from '../lambdas/http/routes.ts';
import type { ConsoleFile } from '../console/build.ts';
import { ADMIN_SCOPE } from '../lambdas/domain/caller.ts';
import type { LambdaHost } from './lambda-host.ts';
import { METRICS_QUERY, type MetricsFilter, sumLocalMetrics } from './metrics.ts';

/** The local stack's own route: the metrics its handlers wrote (not part of the deployed API). */
export const LOCAL_METRICS_PATH = '/v1/metrics';

import { type Credentials, sigV4Problem } from './sigv4.ts';

/** How authenticated routes are checked: the bearer token, or SigV4 with these credentials (as `auth=iam` on AWS). */
export type FrontDoorAuth = { kind: 'bearer'; tokens: readonly LocalToken[] } | { kind: 'sigv4'; credentials: Credentials; region: string };

/** The IAM identity a SigV4 caller becomes locally (what API Gateway puts in `authorizer.iam`). */
export const LOCAL_IAM_USER_ARN = 'arn:aws:iam::000000000000:user/klingflow-local';

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

/** Whether a path is one of the routes' (any method): API Gateway answers preflights only there. */
const isRoutePath = (path: string): boolean => compiled.some(({ regex }) => regex.test(path));

/** A bearer token the front door accepts: its holder's name (the owner of their jobs) and whether they are an admin. */
export interface LocalToken {
  name: string;
  token: string;
  admin: boolean;
}

/** The holder of the token in an `Authorization: Bearer` header, or `undefined`. Every token is compared in full. */
function holderOf(header: string | undefined, tokens: readonly LocalToken[]): LocalToken | undefined {
  // The scheme's name is case-insensitive (RFC 9110, 11.1): `bearer` and `BEARER` are `Bearer`.
  const scheme = /^bearer +/i.exec(header ?? '');
  const given = Buffer.from(scheme && header ? header.slice(scheme[0].length) : '');
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

/**
 * The request's headers as API Gateway (payload 2.0) gives them: names in lower case, a repeated header's values
 * joined with commas. Read from the raw headers, since Node.js keeps only the first of some repeated ones
 * (Content-Type, Authorization): two Authorization headers are then one value no token or signature matches.
 */
function gatewayHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? '').toLowerCase();
    const value = req.rawHeaders[i + 1] ?? '';
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]},${value}` : value;
  }
  return headers;
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  matched: Match,
  body: Buffer,
  auth: FrontDoorAuth,
  holder: LocalToken | undefined,
): APIGatewayProxyEventV2 {
  const headers = gatewayHeaders(req);
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
      // The bearer token stands in for the JWT authorizer (its name is the subject, an admin token has the admin
      // scope); a verified SigV4 request is the local IAM user, as the IAM authorizer reports it.
      ...(matched.route.auth
        ? auth.kind === 'bearer'
          ? { authorizer: { jwt: { claims: { sub: holder?.name ?? 'local' }, scopes: holder?.admin ? [ADMIN_SCOPE] : [] } } }
          : {
              authorizer: {
                iam: { accessKey: auth.credentials.accessKeyId, accountId: '000000000000', userArn: LOCAL_IAM_USER_ARN, userId: 'local' },
              },
            }
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
  // Headers set on `res` already (CORS) are kept; the handler's own win where both name one.
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
  const body = result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  res.writeHead(result.statusCode ?? 200, headers).end(body);
}

/**
 * What the console's files may load, as CloudFront's response headers policy says on AWS: its own scripts and styles,
 * the API on this origin, and uploads to and previews from the S3 emulator (another loopback port).
 */
const SITE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self' http://127.0.0.1:*",
  "img-src 'self' data: blob: http://127.0.0.1:*",
  "media-src 'self' http://127.0.0.1:*",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** Serves a file of the site (the web console) for `GET`/`HEAD` of `/` or its path; false when it is not one. */
function serveSite(req: IncomingMessage, res: ServerResponse, path: string, site: readonly ConsoleFile[]): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const file = site.find((f) => `/${f.path}` === (path === '/' ? '/index.html' : path));
  if (!file) return false;
  res.writeHead(200, {
    'content-type': file.contentType,
    'content-length': file.body.length,
    'cache-control': 'no-cache',
    'content-security-policy': SITE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(req.method === 'HEAD' ? undefined : file.body);
  return true;
}

export interface FrontDoor {
  url: string;
  port: number;
  close(): Promise<void>;
}

const BEARER_HINT = 'send Authorization: Bearer <token> (printed by npm start)';

/**
 * Who sent an authenticated request: `{holder}` (a bearer token's holder; none for a verified SigV4 request), or
 * `{problem}`: why it is refused (no matching token, or a signature that does not verify).
 */
async function authenticate(
  req: IncomingMessage,
  body: Buffer,
  auth: FrontDoorAuth,
): Promise<{ holder?: LocalToken; problem?: undefined } | { problem: string }> {
  const headers = gatewayHeaders(req);
  if (auth.kind === 'bearer') {
    const holder = holderOf(headers.authorization, auth.tokens);
    return holder ? { holder } : { problem: BEARER_HINT };
  }
  const problem = await sigV4Problem(
    { method: req.method ?? 'GET', url: new URL(req.url ?? '/', `http://${headers.host ?? '127.0.0.1'}`), headers, body },
    auth,
  );
  return problem ? { problem: `the request is not signed right: ${problem}` } : {};
}

/** Answers `GET /v1/metrics?jobId=&name=&provider=`: the sums of the metric lines in `file` (local/metrics.ts). */
async function answerMetrics(req: IncomingMessage, res: ServerResponse, url: URL, file: string, auth: FrontDoorAuth): Promise<void> {
  if (req.method !== 'GET') {
    sendJson(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}`, 'method');
    return;
  }
  const caller = await authenticate(req, Buffer.alloc(0), auth);
  if (caller.problem) {
    sendJson(res, 401, 'UNAUTHORIZED', caller.problem, 'Authorization');
    return;
  }
  // The sums cover every caller's jobs (and a job id filter would tell which ids exist): admins only, as on AWS,
  // where metrics are CloudWatch's and an operator's.
  if ('holder' in caller && caller.holder && !caller.holder.admin) {
    sendJson(
      res,
      403,
      'FORBIDDEN',
      "the metrics cover every caller's jobs: only an admin token may read them (KLINGFLOW_API_ADMINS)",
      'Authorization',
    );
    return;
  }
  const filter: MetricsFilter = {};
  for (const [name, value] of url.searchParams) {
    if (!(METRICS_QUERY as readonly string[]).includes(name)) {
      sendJson(res, 400, 'MALFORMED_REQUEST', `unknown parameter; allowed: ${METRICS_QUERY.join(', ')}`, name);
      return;
    }
    filter[name as keyof MetricsFilter] = value;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(await sumLocalMetrics(file, filter)));
}

export interface FrontDoorOptions {
  port: number;
  auth: FrontDoorAuth;
  /** The handlers' metric lines, summed by `GET /v1/metrics`. */
  metricsFile?: string;
  /**
   * Browser origins allowed to call the API (`*`: any). A function, because the front door's own origin (the local
   * console's) is known only once it listens.
   */
  corsOrigins: () => readonly string[];
  /** Static files served without credentials (the web console). */
  site?: readonly ConsoleFile[];
}

/** Seconds an idle keep-alive connection to the front door stays open (announced as `Keep-Alive: timeout=65`). */
export const KEEP_ALIVE_SECONDS = 65;

/**
 * Serves the route table on 127.0.0.1:`options.port` (0: any free port), handing each request to its handler through
 * `host` as an API Gateway HTTP API v2 event. Rejects (EADDRINUSE...) when it cannot listen.
 */
export async function startFrontDoor(host: LambdaHost, options: FrontDoorOptions): Promise<FrontDoor> {
  const { auth } = options;
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        let url: URL;
        try {
          url = new URL(req.url ?? '/', 'http://127.0.0.1');
        } catch {
          return sendJson(res, 400, 'MALFORMED_REQUEST', 'the request target is not a valid path', 'path');
        }
        if (options.site && serveSite(req, res, url.pathname, options.site)) return;
        const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
        // A preflight is answered here, before any authorizer, as API Gateway does when CORS is configured.
        if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] && isRoutePath(url.pathname)) {
          res.writeHead(204, corsHeaders(origin, options.corsOrigins(), true)).end();
          return;
        }
        for (const [name, value] of Object.entries(corsHeaders(origin, options.corsOrigins(), false))) res.setHeader(name, value);
        if (url.pathname === LOCAL_METRICS_PATH && options.metricsFile) {
          return await answerMetrics(req, res, url, options.metricsFile, auth);
        }
        const matched = match(req.method ?? 'GET', url.pathname);
        if (matched === undefined) return sendJson(res, 404, 'NOT_FOUND', `no route ${req.method} ${url.pathname}`, 'route');
        if (matched === 'method-not-allowed')
          return sendJson(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}`, 'method');
        if ('badParameter' in matched) {
          const name = matched.badParameter;
          return sendJson(res, 400, 'MALFORMED_REQUEST', `${name} is not valid percent-encoding (write '%' as %25)`, name);
        }
        // A bearer token is checked before the body is read (a caller without one cannot make the stack read 10 MB);
        // a SigV4 signature covers the body, so it is checked once the body is in.
        let caller = matched.route.auth && auth.kind === 'bearer' ? await authenticate(req, Buffer.alloc(0), auth) : undefined;
        if (caller?.problem) return sendJson(res, 401, 'UNAUTHORIZED', caller.problem, 'Authorization');
        const body = await readBody(req);
        if (body === 'too-large') {
          // The rest of the body is not read, so the connection cannot carry another request: say so, and close it
          // once answered (a client that kept it would send its next request into a closed socket).
          res.setHeader('connection', 'close');
          return sendJson(res, 413, 'PAYLOAD_TOO_LARGE', 'the body is larger than 10 MB', 'body');
        }
        caller ??= matched.route.auth ? await authenticate(req, body, auth) : {};
        if (caller.problem) return sendJson(res, 401, 'UNAUTHORIZED', caller.problem, 'Authorization');
        const holder = 'holder' in caller ? caller.holder : undefined;
        const result = await host.invoke(matched.route.handler, toEvent(req, url, matched, body, auth, holder), 30_000);
        writeResult(res, result as APIGatewayProxyStructuredResultV2);
      } catch (error) {
        // What API Gateway answers when a Lambda integration fails.
        process.stderr.write(`front door: handler failed: ${(error as Error).stack ?? String(error)}\n`);
        if (!res.headersSent) sendJson(res, 500, 'INTERNAL', 'Internal Server Error');
      }
    })();
  });
  // An idle keep-alive connection is kept longer than its clients keep it (undici: the server's hint less 2 s), as a
  // load balancer's is. With Node's 5 s default, a client whose event loop was held up (a long GC, a loaded machine)
  // could send on a connection whose server-side timer had run out in the same moment, and the request failed with
  // ECONNRESET (the bench's front door did, under load).
  server.keepAliveTimeout = KEEP_ALIVE_SECONDS * 1000;
  server.headersTimeout = (KEEP_ALIVE_SECONDS + 1) * 1000;
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

// The `fal` dialect: fal.ai's queue API for the Kling endpoints (fal.ai queue API docs), mounted under `/fal` and
// standing in for https://queue.fal.run.
//
//   POST /{endpoint id}[?fal_webhook=<url>]           submit → {request_id, status_url, response_url, cancel_url}
//   GET  /{owner}/{app}/requests/{id}/status[?logs=1] IN_QUEUE | IN_PROGRESS (202), COMPLETED (200); logs, metrics
//   GET  /{owner}/{app}/requests/{id}/status/stream   the same statuses as server-sent events, until COMPLETED
//   GET  /{owner}/{app}/requests/{id}                 the video, or the request's error (client_cancelled: 499)
//   PUT  /{owner}/{app}/requests/{id}/cancel          OK | CANCELLATION_REQUESTED | ALREADY_COMPLETED | NOT_FOUND
//   GET  /.well-known/jwks.json                       the Ed25519 key webhooks are signed with
// Every queue answer about a request carries `x-fal-request-id` (fal's JS client reads it as `requestId`).
// Auth: `Authorization: Key <key>` when credentials are configured (the key, or `<accessKey>:<secretKey>`).
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { SimulatorCredentials } from '../auth.ts';
import type { SimTask } from '../engine.ts';
import { parseFaultDirectives, type FaultPlan, type SubmitRejection } from '../faults.ts';
import { answeredByGateway, sendJson, type Route, type RouteContext } from '../http.ts';
import type { Dialect, DialectContext } from './dialect.ts';
import { directiveText, FAL_ENDPOINT_SCHEMAS } from './fal-schemas.ts';
import {
  CANCELLED_RESULT,
  CONTENT_POLICY_FAILURE,
  FAL_DIALECT,
  FAL_DIRECTIVE_ERRORS,
  failedResult,
  httpStatusAnswer,
  plainError,
  queueState,
  requestUrls,
  statusBody,
  typedError,
  videoOutput,
  webhookBody,
  type FalAnswer,
} from './fal-shapes.ts';
import { falWebhookSigner, generateFalSigningKeys, watchAndCallBack, type FalSigningKeys } from './fal-webhooks.ts';

export const FAL_JWKS_PATH = '/.well-known/jwks.json';

/** What one mounted fal dialect remembers besides the engine's tasks. */
interface FalState {
  keys: FalSigningKeys;
  /** Request ids cancelled while queued or running. */
  cancelled: Set<string>;
}

export const falDialect: Dialect = {
  name: FAL_DIALECT,
  routes: (context) => {
    const state: FalState = { keys: generateFalSigningKeys(), cancelled: new Set() };
    const REQUEST = '^/([^/]+)/([^/]+)/requests/([^/]+)';
    return [
      { methods: ['GET'], pattern: /^\/\.well-known\/jwks\.json$/, handle: ({ res }) => sendJson(res, 200, state.keys.jwks) },
      {
        methods: ['GET'],
        pattern: new RegExp(`${REQUEST}/status$`),
        handle: authenticated(context, (route) => queueStatus(context, state, route)),
      },
      {
        methods: ['GET'],
        pattern: new RegExp(`${REQUEST}/status/stream$`),
        handle: authenticated(context, (route) => statusStream(context, state, route)),
      },
      {
        methods: ['PUT'],
        pattern: new RegExp(`${REQUEST}/cancel$`),
        handle: authenticated(context, (route) => cancel(context, state, route)),
      },
      { methods: ['GET'], pattern: new RegExp(`${REQUEST}$`), handle: authenticated(context, (route) => result(context, state, route)) },
      { methods: ['POST'], pattern: /^\/(fal-ai\/.+)$/, handle: authenticated(context, (route) => submit(context, state, route)) },
      {
        methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
        pattern: /^\//,
        handle: ({ res, url }) => reply(res, plainError(404, `Not found: ${url.pathname}`)),
      },
    ];
  },
  adapterSettings: (context) => ({ JWKS_URL: `${context.mountUrl()}${FAL_JWKS_PATH}` }),
};

function authenticated(context: DialectContext, handler: (route: RouteContext) => void): Route['handle'] {
  return (route) => {
    const expected = falKeyOf(context.credentials);
    if (expected !== undefined) {
      const given = /^Key (\S+)$/.exec(route.req.headers.authorization?.trim() ?? '')?.[1];
      if (!given || !sameText(given, expected)) {
        reply(
          route.res,
          plainError(
            401,
            given ? 'Invalid key: no user matches these credentials.' : 'Authentication required: send "Authorization: Key <key>".',
          ),
        );
        return;
      }
    }
    handler(route);
  };
}

function submit(context: DialectContext, state: FalState, { res, url, params, body: rawBody }: RouteContext): void {
  const endpointId = params[0] ?? '';
  const schema = FAL_ENDPOINT_SCHEMAS.get(endpointId);
  if (!schema) {
    reply(res, plainError(404, `Application '${endpointId}' not found`));
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    reply(res, typedError(422, 'json_invalid', 'The body is not valid JSON.'));
    return;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    reply(res, {
      status: 422,
      body: {
        detail: parsed.error.issues.map((issue) => ({ loc: ['body', ...issue.path.map(String)], msg: issue.message, type: 'value_error' })),
      },
    });
    return;
  }
  const input = parsed.data;
  const webhook = url.searchParams.get('fal_webhook');
  if (webhook !== null && !/^https?:\/\//.test(webhook)) {
    reply(res, typedError(422, 'value_error', 'fal_webhook must be an http(s) URL.', ['query', 'fal_webhook']));
    return;
  }

  const prompt = directiveText(input);
  const { plan, problems } = parseFaultDirectives(prompt);
  problems.push(...unknownCodes(plan));
  if (problems.length > 0) {
    reply(res, typedError(422, 'value_error', `unknown simulator directive ${problems.join(' ')}`, ['body', 'prompt']));
    return;
  }
  // fal takes no client id, so retried attempts are counted by prompt text.
  const rejection = context.engine.registerAttempt(FAL_DIALECT, `prompt:${prompt ?? ''}`, plan);
  if (rejection) {
    if (!answeredByGateway(context.gatewayErrors(), res, rejection)) reply(res, rejectionAnswer(rejection));
    return;
  }
  const refusal = context.engine.checkLimits(FAL_DIALECT, endpointId);
  if (refusal) {
    // fal answers a throttled request with a plain 429 and Retry-After (see FAL_DIRECTIVE_ERRORS.RATE_LIMITED).
    const wait = refusal.kind === 'rate' ? refusal.retryAfterSeconds : 1;
    reply(res, plainError(429, 'Too many requests, slow down.', { 'retry-after': String(wait) }));
    return;
  }

  const requestId = randomUUID();
  const task = context.engine.accept({
    dialect: FAL_DIALECT,
    product: endpointId,
    model: endpointId,
    request: input,
    prompt,
    externalTaskId: requestId,
    callbackUrl: null, // fal calls back once, when done: the dialect's own watcher does it
    faults: plan,
    failureMessage: plan.failure === null ? null : plan.failure.kind === 'content-policy' ? CONTENT_POLICY_FAILURE : plan.failure.message,
    renderCallback: () => null,
    signCallback: null,
  });
  if (webhook !== null) {
    // The task's own callbackUrl stays null, or the engine would also call back at every status change.
    watchAndCallBack({
      engine: context.engine,
      task,
      url: webhook,
      signer: falWebhookSigner(state.keys.privateKey, requestId),
      isCancelled: () => state.cancelled.has(requestId),
      render: () => webhookBody(requestId, outcomeOf(context, state, requestId) ?? { ok: false, answer: httpStatusAnswer(500) }),
    });
  }
  const urls = requestUrls(context.mountUrl(), endpointId, requestId);
  sendJson(
    res,
    200,
    {
      status: 'IN_QUEUE',
      request_id: requestId,
      ...urls,
      queue_position: 0,
      ...(webhook !== null && { gateway_request_id: requestId }),
    },
    requestIdHeader(requestId),
  );
}

/** The status body of a request right now, and the HTTP status fal answers it with (202 until done, then 200). */
function currentStatus(context: DialectContext, state: FalState, task: SimTask, withLogs: boolean) {
  const requestId = task.externalTaskId ?? '';
  const status = queueState(task, state.cancelled.has(requestId));
  const body = statusBody(status, task, requestUrls(context.mountUrl(), task.product, requestId), withLogs);
  return { status, body, http: status === 'COMPLETED' ? 200 : 202 };
}

function queueStatus(context: DialectContext, state: FalState, { res, params, url }: RouteContext): void {
  const found = findRequest(context, params);
  if (!found) {
    reply(res, plainError(404, `Request ${params[2]} not found`));
    return;
  }
  const { body, http } = currentStatus(context, state, found, url.searchParams.get('logs') === '1');
  sendJson(res, http, body, requestIdHeader(found.externalTaskId ?? ''));
}

/** How often the status stream looks for a change, and sends the status again anyway (the client times out at 15 s). */
const STREAM_POLL_MS = 25;
const STREAM_HEARTBEAT_MS = 5_000;

/** The status as server-sent events (`data: <status JSON>`), one per change, ending after COMPLETED. */
function statusStream(context: DialectContext, state: FalState, { res, params, url }: RouteContext): void {
  const found = findRequest(context, params);
  if (!found) {
    reply(res, plainError(404, `Request ${params[2]} not found`));
    return;
  }
  const withLogs = url.searchParams.get('logs') === '1';
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...requestIdHeader(found.externalTaskId ?? ''),
  });
  let last = '';
  let sentAt = 0;
  let timer: NodeJS.Timeout | undefined;
  res.once('close', () => clearTimeout(timer));
  const tick = () => {
    if (res.destroyed) return;
    const { status, body } = currentStatus(context, state, found, withLogs);
    const text = JSON.stringify(body);
    if (text !== last || Date.now() - sentAt >= STREAM_HEARTBEAT_MS) {
      res.write(`data: ${text}\n\n`);
      last = text;
      sentAt = Date.now();
    }
    if (status === 'COMPLETED') {
      res.end();
      return;
    }
    timer = setTimeout(tick, STREAM_POLL_MS);
    timer.unref();
  };
  tick();
}

function result(context: DialectContext, state: FalState, { res, params }: RouteContext): void {
  const found = findRequest(context, params);
  if (!found) {
    reply(res, plainError(404, `Request ${params[2]} not found`));
    return;
  }
  const requestId = found.externalTaskId ?? '';
  const outcome = outcomeOf(context, state, requestId);
  if (outcome === undefined) reply(res, plainError(400, 'Request is still in progress'), requestIdHeader(requestId));
  else if (outcome.ok) sendJson(res, 200, outcome.output, requestIdHeader(requestId));
  else reply(res, outcome.answer, requestIdHeader(requestId));
}

/**
 * Cancels a request (fal docs, "Cancel a request"): a queued one is removed (OK), a running one is told to stop
 * (CANCELLATION_REQUESTED); either way it ends, its result answers `client_cancelled`, and it never yields a video.
 */
function cancel(context: DialectContext, state: FalState, { res, params }: RouteContext): void {
  const found = findRequest(context, params);
  if (!found) {
    sendJson(res, 404, { status: 'NOT_FOUND' });
    return;
  }
  const requestId = found.externalTaskId ?? '';
  if (state.cancelled.has(requestId) || found.status === 'succeeded' || found.status === 'failed') {
    sendJson(res, 400, { status: 'ALREADY_COMPLETED' }, requestIdHeader(requestId));
    return;
  }
  const queued = found.status === 'submitted';
  state.cancelled.add(requestId);
  context.engine.cancel(found.taskId);
  sendJson(res, queued ? 200 : 202, { status: queued ? 'OK' : 'CANCELLATION_REQUESTED' }, requestIdHeader(requestId));
}

/** The header fal's JS client reads the request id from (`x-fal-request-id`). */
function requestIdHeader(requestId: string): Record<string, string> {
  return { 'x-fal-request-id': requestId };
}

/** The request named by `/{owner}/{app}/requests/{id}`, if it was submitted to an endpoint of that owner and app. */
function findRequest(context: DialectContext, params: string[]) {
  const [owner, app, requestId = ''] = params;
  const task = context.engine.findByExternalId(FAL_DIALECT, requestId);
  return task?.product.startsWith(`${owner}/${app}/`) ? task : undefined;
}

type Outcome = { ok: true; output: unknown } | { ok: false; answer: FalAnswer };

/** What the response URL answers once the request is done; undefined while it is not. */
function outcomeOf(context: DialectContext, state: FalState, requestId: string): Outcome | undefined {
  const task = context.engine.findByExternalId(FAL_DIALECT, requestId);
  if (!task) return undefined;
  if (state.cancelled.has(requestId)) return { ok: false, answer: CANCELLED_RESULT };
  if (task.status === 'succeeded') return { ok: true, output: videoOutput(task, context.baseUrl()) };
  if (task.status === 'failed') return { ok: false, answer: failedResult(task) };
  return undefined;
}

function rejectionAnswer(rejection: SubmitRejection): FalAnswer {
  if (rejection.kind === 'http') return httpStatusAnswer(rejection.status);
  return FAL_DIRECTIVE_ERRORS[rejection.code]?.() ?? httpStatusAnswer(500);
}

function unknownCodes(plan: FaultPlan): string[] {
  return plan.rejections
    .filter((rejection) => rejection.kind === 'provider-code' && !Object.hasOwn(FAL_DIRECTIVE_ERRORS, rejection.code))
    .map((rejection) => `[sim:${rejection.kind === 'provider-code' ? rejection.code : ''}]`);
}

function reply(res: RouteContext['res'], answer: FalAnswer, headers: Record<string, string> = {}): void {
  sendJson(res, answer.status, answer.body, { ...headers, ...answer.headers });
}

function falKeyOf(credentials: SimulatorCredentials | undefined): string | undefined {
  if (credentials?.apiKey) return credentials.apiKey;
  if (credentials?.accessKey && credentials.secretKey) return `${credentials.accessKey}:${credentials.secretKey}`;
  return undefined;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

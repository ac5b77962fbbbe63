// The `kling-v3-rest` dialect: the Kling v3 REST API as aiapiplaybook.com's "How to Use Kling v3 API: Complete Python
// Tutorial 2026" describes it, standing in for https://api.klingai.com under `/kling-v3-rest`. Bearer API key; create,
// poll, account info. The API documents no callbacks, so tasks are only ever polled (the engine gets no callback URL).
import { requireBearer } from '../auth.ts';
import { parseFaultDirectives, type FaultPlan, type SubmitRejection } from '../faults.ts';
import { sendJson, sendText, type Route, type RouteContext, answeredByGateway } from '../http.ts';
import type { Dialect, DialectContext } from './dialect.ts';
import { remainingBalance } from './kling-v3-rest-credits.ts';
import { isKlingV3RestErrorCode, sendKlingV3RestError, sendNotFound } from './kling-v3-rest-errors.ts';
import { KLING_V3_REST_CREATE_SCHEMAS, KLING_V3_REST_PRODUCTS, issuePath, type KlingV3RestProduct } from './kling-v3-rest-schemas.ts';
import { CONTENT_POLICY_FAILURE, KLING_V3_REST_DIALECT, renderTask, statusWord } from './kling-v3-rest-shapes.ts';

const PRODUCT = `(${KLING_V3_REST_PRODUCTS.join('|')})`;

export const klingV3RestDialect: Dialect = {
  name: KLING_V3_REST_DIALECT,
  routes: (context) => [
    { methods: ['POST'], pattern: new RegExp(`^/v1/videos/${PRODUCT}$`), handle: authenticated(context, createTask) },
    { methods: ['GET'], pattern: /^\/v1\/videos\/([^/]+)$/, handle: authenticated(context, queryTask) },
    { methods: ['GET'], pattern: /^\/v1\/account\/info$/, handle: authenticated(context, accountInfo) },
    {
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      pattern: /^\/v1\//,
      handle: ({ res, req, url }) => sendNotFound(res, `no such endpoint: ${req.method ?? 'GET'} ${url.pathname}`),
    },
  ],
  // The adapter needs nothing besides its base URL and API key.
  adapterSettings: () => ({}),
};

type Handler = (context: DialectContext, route: RouteContext) => void;

function authenticated(context: DialectContext, handler: Handler): Route['handle'] {
  return requireBearer(
    context.credentials,
    ({ res }, failure) => sendKlingV3RestError(res, 'UNAUTHORIZED', failure.detail),
    (route) => handler(context, route),
  );
}

function createTask(context: DialectContext, { res, params, body: rawBody }: RouteContext): void {
  const product = params[0] as KlingV3RestProduct;
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    sendKlingV3RestError(res, 'INVALID_PARAMETER', 'the request body is not valid JSON');
    return;
  }
  const parsed = KLING_V3_REST_CREATE_SCHEMAS[product].safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issuePath(issue?.path ?? []);
    // Root-level issues: an unknown field (zod names it) or a body that is not an object.
    sendKlingV3RestError(res, 'INVALID_PARAMETER', field ? `${field}: ${issue?.message}` : (issue?.message ?? 'invalid body'));
    return;
  }
  const request = parsed.data;
  const { plan, problems } = parseFaultDirectives(request.prompt);
  problems.push(...unknownCodes(plan));
  if (problems.length > 0) {
    sendKlingV3RestError(res, 'INVALID_PARAMETER', `prompt: unknown simulator directive ${problems.join(' ')}`);
    return;
  }

  // No client id exists in this API, so fault attempts are counted by prompt text.
  const rejection = context.engine.registerAttempt(KLING_V3_REST_DIALECT, `prompt:${request.prompt}`, plan);
  if (rejection) {
    if (!answeredByGateway(context.gatewayErrors(), res, rejection)) sendRejection(res, rejection);
    return;
  }
  const refusal = context.engine.checkLimits(KLING_V3_REST_DIALECT, request.model);
  if (refusal) {
    // The tutorial's only load errors: RATE_LIMIT_EXCEEDED (429, "too many requests per minute") and
    // MODEL_OVERLOADED (503, "high server load, retry after 30-60s"); a full account is the latter.
    if (refusal.kind === 'rate') sendKlingV3RestError(res, 'RATE_LIMIT_EXCEEDED', undefined, refusal.retryAfterSeconds);
    else sendKlingV3RestError(res, 'MODEL_OVERLOADED');
    return;
  }

  const task = context.engine.accept({
    dialect: KLING_V3_REST_DIALECT,
    product,
    model: request.model,
    // The parsed body, defaults filled, so rendering and credits read one shape.
    request,
    prompt: request.prompt,
    externalTaskId: null,
    callbackUrl: null,
    faults: plan,
    failureMessage: failureMessage(plan),
    renderCallback: (current) => renderTask(current, context.baseUrl()),
    signCallback: null,
  });
  sendJson(res, 200, { task_id: task.taskId, status: statusWord(task.status) });
}

function queryTask(context: DialectContext, { res, params }: RouteContext): void {
  const id = params[0] ?? '';
  const task = context.engine.get(id);
  if (!task || task.dialect !== KLING_V3_REST_DIALECT) {
    sendNotFound(res, `task ${id} does not exist`);
    return;
  }
  sendJson(res, 200, renderTask(task, context.baseUrl()));
}

function accountInfo(context: DialectContext, { res }: RouteContext): void {
  sendJson(res, 200, { credits: remainingBalance(context.engine.list({ dialect: KLING_V3_REST_DIALECT })) });
}

/** `[sim:<CODE>]` must name a documented code (INVALID_PARAMETER ... MODEL_OVERLOADED). */
function unknownCodes(plan: FaultPlan): string[] {
  return plan.rejections
    .filter((rejection) => rejection.kind === 'provider-code' && !isKlingV3RestErrorCode(rejection.code))
    .map((rejection) => `[sim:${rejection.kind === 'provider-code' ? rejection.code : ''}]`);
}

function failureMessage(plan: FaultPlan): string | null {
  if (!plan.failure) return null;
  return plan.failure.kind === 'content-policy' ? CONTENT_POLICY_FAILURE.message : plan.failure.message;
}

/** A documented code gets its status and `{error}` body; `[sim:httpNNN]` a bare non-JSON answer (a proxy's). */
function sendRejection(res: RouteContext['res'], rejection: SubmitRejection): void {
  if (rejection.kind === 'provider-code') {
    // Codes were checked when the directives were read; an unknown one here is a simulator bug.
    sendKlingV3RestError(res, isKlingV3RestErrorCode(rejection.code) ? rejection.code : 'INTERNAL_ERROR');
    return;
  }
  sendText(res, rejection.status, `HTTP ${rejection.status}`);
}

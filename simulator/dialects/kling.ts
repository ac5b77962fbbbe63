// The `kling` dialect: routes of the official legacy API (Kling API reference: the video pages' create, query-one and
// query-list calls, and "Callback Protocol"), server root standing in for https://api-singapore.klingai.com.
import { requireBearer } from '../auth.ts';
import { parseFaultDirectives, type FaultPlan, type SubmitRejection } from '../faults.ts';
import { sendText, type Route, type RouteContext, answeredByGateway } from '../http.ts';
import type { Dialect, DialectContext } from './dialect.ts';
import { AUTH_FAILURE_CODES, isKlingErrorCode, sendKlingError, sendKlingSuccess } from './kling-errors.ts';
import { CREATE_BODY_SCHEMAS, KLING_PRODUCTS, describeIssuePath, directivePrompt, listQuery, type KlingProduct } from './kling-schemas.ts';
import { CONTENT_POLICY_MESSAGE, KLING_DIALECT, klingCallbackPayload, klingTaskData } from './kling-shapes.ts';
import { standardWebhooksSigner } from '../callbacks.ts';

const PRODUCT = `(${KLING_PRODUCTS.join('|')})`;

export const klingDialect: Dialect = {
  name: KLING_DIALECT,
  routes: (context) => [
    { methods: ['POST'], pattern: new RegExp(`^/v1/videos/${PRODUCT}$`), handle: authenticated(context, createTask) },
    { methods: ['GET'], pattern: new RegExp(`^/v1/videos/${PRODUCT}$`), handle: authenticated(context, listTasks) },
    { methods: ['GET'], pattern: new RegExp(`^/v1/videos/${PRODUCT}/([^/]+)$`), handle: authenticated(context, queryTask) },
    { methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], pattern: /^\/v1\//, handle: ({ res }) => sendKlingError(res, 1202) },
  ],
};

type KlingHandler = (context: DialectContext, route: RouteContext) => void;

function authenticated(context: DialectContext, handler: KlingHandler): Route['handle'] {
  return requireBearer(
    context.credentials,
    ({ res }, failure) => sendKlingError(res, AUTH_FAILURE_CODES[failure.reason]),
    (route) => handler(context, route),
  );
}

function createTask(context: DialectContext, { res, params, body: rawBody }: RouteContext): void {
  const product = params[0] as KlingProduct;
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    sendKlingError(res, 1200, 'Invalid request parameters: the body is not valid JSON');
    return;
  }
  const parsed = CREATE_BODY_SCHEMAS[product].safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = describeIssuePath(issue?.path ?? []);
    sendKlingError(res, 1201, field ? `Invalid parameter ${field}: ${issue?.message}` : 'The request body must be a JSON object');
    return;
  }
  const request = parsed.data;
  const prompt = directivePrompt(request);
  const { plan, problems } = parseFaultDirectives(prompt);
  problems.push(...unknownCodes(plan));
  if (problems.length > 0) {
    sendKlingError(res, 1201, `Invalid parameter prompt: unknown simulator directive ${problems.join(' ')}`);
    return;
  }

  const externalTaskId = request.external_task_id ?? null;
  const attemptKey = externalTaskId === null ? `prompt:${prompt ?? ''}` : `external:${externalTaskId}`;
  const rejection = context.engine.registerAttempt(KLING_DIALECT, attemptKey, plan);
  if (rejection) {
    if (!answeredByGateway(context.gatewayErrors(), res, rejection)) sendRejection(res, rejection);
    return;
  }
  if (externalTaskId !== null && context.engine.findByExternalId(KLING_DIALECT, externalTaskId)) {
    sendKlingError(res, 1201, `Invalid parameter external_task_id: external_task_id already exists: ${externalTaskId}`);
    return;
  }
  const model = typeof request.model_name === 'string' ? request.model_name : product;
  const refusal = context.engine.checkLimits(KLING_DIALECT, model);
  if (refusal) {
    // 1303: "parallel task over resource pack limit"; 1302: "the API request is too fast" (Kling API reference,
    // "Error Codes"). Kling documents no retry hint with either.
    sendKlingError(res, refusal.kind === 'concurrency' ? 1303 : 1302);
    return;
  }

  const task = context.engine.accept({
    dialect: KLING_DIALECT,
    product,
    model,
    request: body,
    prompt,
    externalTaskId,
    callbackUrl: request.callback_url ?? null,
    faults: plan,
    failureMessage: failureMessage(plan),
    renderCallback: (current) => klingCallbackPayload(current, context.baseUrl()),
    // Kling signs callbacks only once a webhook secret exists in its console.
    signCallback: context.webhookSecret ? standardWebhooksSigner(context.webhookSecret) : null,
  });
  const data = klingTaskData(task, context.baseUrl());
  sendKlingSuccess(res, {
    task_id: data.task_id,
    task_status: data.task_status,
    task_info: data.task_info,
    created_at: data.created_at,
    updated_at: data.updated_at,
  });
}

function queryTask(context: DialectContext, { res, params }: RouteContext): void {
  const [product, id = ''] = params;
  const byTaskId = context.engine.get(id);
  const task = byTaskId?.dialect === KLING_DIALECT ? byTaskId : context.engine.findByExternalId(KLING_DIALECT, id);
  if (!task || task.product !== product) {
    sendKlingError(res, 1203, `The requested resource does not exist: task ${id}`);
    return;
  }
  sendKlingSuccess(res, klingTaskData(task, context.baseUrl()));
}

function listTasks(context: DialectContext, { res, params, url }: RouteContext): void {
  const query = listQuery.safeParse(Object.fromEntries(url.searchParams));
  if (!query.success) {
    const issue = query.error.issues[0];
    sendKlingError(res, 1201, `Invalid parameter ${describeIssuePath(issue?.path ?? [])}: ${issue?.message}`);
    return;
  }
  const { pageNum, pageSize } = query.data;
  const newestFirst = context.engine.list({ dialect: KLING_DIALECT, product: params[0] }).reverse();
  const page = newestFirst.slice((pageNum - 1) * pageSize, pageNum * pageSize);
  sendKlingSuccess(
    res,
    page.map((task) => klingTaskData(task, context.baseUrl())),
  );
}

function unknownCodes(plan: FaultPlan): string[] {
  return plan.rejections
    .filter((rejection) => rejection.kind === 'provider-code' && !isKlingErrorCode(Number(rejection.code)))
    .map((rejection) => `[sim:${rejection.kind === 'provider-code' ? rejection.code : ''}]`);
}

function failureMessage(plan: FaultPlan): string | null {
  if (!plan.failure) return null;
  return plan.failure.kind === 'content-policy' ? CONTENT_POLICY_MESSAGE : plan.failure.message;
}

function sendRejection(res: RouteContext['res'], rejection: SubmitRejection): void {
  if (rejection.kind === 'provider-code') {
    sendKlingError(res, Number(rejection.code));
  } else if (rejection.status === 503) {
    sendText(res, 503, '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>', 'text/html');
  } else {
    sendText(res, rejection.status, rejection.status === 500 ? 'Internal Server Error' : `HTTP ${rejection.status}`);
  }
}

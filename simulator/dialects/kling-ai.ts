// The `kling-ai` dialect: the Kling AI REST API as the "Kling AI API Guide: Pricing, Setup, and Integration (2026)"
// article describes it, mounted at `/kling-ai` (that mount plays the host root; the document's BASE_URL
// `https://api.kling.ai/v1` is `<mount>/v1`).
//   POST /v1/video/generate          → {task_id, status, created_at}
//   GET  /v1/video/status/{task_id}  → {task_id, status, progress, output | error, ...}
// Bearer API key. No callbacks, no cancel, no external id: none is documented.
import { requireBearer } from '../auth.ts';
import { parseFaultDirectives, type FaultPlan, type SubmitRejection } from '../faults.ts';
import { sendJson, type Route, type RouteContext, answeredByGateway } from '../http.ts';
import type { Dialect, DialectContext } from './dialect.ts';
import { isKlingAiErrorCode, sendKlingAiError, sendKlingAiHttpError } from './kling-ai-errors.ts';
import { createVideoBody, directiveText, issuePath } from './kling-ai-schemas.ts';
import { CONTENT_POLICY_FAILURE, KLING_AI_DIALECT, createdTaskBody, taskStatusBody } from './kling-ai-shapes.ts';

export const klingAiDialect: Dialect = {
  name: KLING_AI_DIALECT,
  routes: (context) => [
    { methods: ['POST'], pattern: /^\/v1\/video\/generate$/, handle: authenticated(context, createTask) },
    { methods: ['GET'], pattern: /^\/v1\/video\/status\/([^/]+)$/, handle: authenticated(context, taskStatus) },
    {
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      pattern: /^\/v1\//,
      handle: ({ res, req, url }) => sendKlingAiError(res, 'NOT_FOUND', `No such endpoint: ${req.method} ${url.pathname}`),
    },
  ],
};

type Handler = (context: DialectContext, route: RouteContext) => void;

function authenticated(context: DialectContext, handler: Handler): Route['handle'] {
  return requireBearer(
    context.credentials,
    ({ res }) => sendKlingAiError(res, 'UNAUTHORIZED'),
    (route) => handler(context, route),
  );
}

function createTask(context: DialectContext, { res, body: rawBody }: RouteContext): void {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    sendKlingAiError(res, 'INVALID_REQUEST', 'The request body is not valid JSON');
    return;
  }
  const parsed = createVideoBody.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issuePath(issue?.path ?? []);
    sendKlingAiError(
      res,
      'INVALID_REQUEST',
      field ? `Invalid parameter ${field}: ${issue?.message}` : 'The request body must be a JSON object',
    );
    return;
  }
  const request = parsed.data;
  const prompt = directiveText(request);
  const { plan, problems } = parseFaultDirectives(prompt);
  problems.push(...unknownCodes(plan));
  if (problems.length > 0) {
    sendKlingAiError(res, 'INVALID_REQUEST', `Invalid parameter prompt: unknown simulator directive ${problems.join(' ')}`);
    return;
  }

  // No client id exists in this API, so repeated attempts are counted by prompt.
  const rejection = context.engine.registerAttempt(KLING_AI_DIALECT, `prompt:${prompt ?? ''}`, plan);
  if (rejection) {
    if (!answeredByGateway(context.gatewayErrors(), res, rejection)) sendRejection(res, rejection);
    return;
  }
  const refusal = context.engine.checkLimits(KLING_AI_DIALECT, request.model);
  if (refusal) {
    // The article documents one load error, 429 (rate limit exceeded), with the standard rate-limit headers.
    sendKlingAiError(res, 'RATE_LIMIT_EXCEEDED', undefined, refusal.kind === 'rate' ? refusal.retryAfterSeconds : undefined);
    return;
  }
  const task = context.engine.accept({
    dialect: KLING_AI_DIALECT,
    product: request.model,
    model: request.model,
    request,
    prompt,
    externalTaskId: null,
    callbackUrl: null,
    faults: plan,
    failureMessage: failureMessage(plan),
    renderCallback: (current) => taskStatusBody(current, context.baseUrl()),
    signCallback: null,
  });
  sendJson(res, 200, createdTaskBody(task));
}

function taskStatus(context: DialectContext, { res, params }: RouteContext): void {
  const id = params[0] ?? '';
  const task = context.engine.get(id);
  if (task?.dialect !== KLING_AI_DIALECT) {
    sendKlingAiError(res, 'TASK_NOT_FOUND', `No such task: ${id}`);
    return;
  }
  sendJson(res, 200, taskStatusBody(task, context.baseUrl()));
}

function unknownCodes(plan: FaultPlan): string[] {
  return plan.rejections.flatMap((rejection) =>
    rejection.kind === 'provider-code' && !isKlingAiErrorCode(rejection.code) ? [`[sim:${rejection.code}]`] : [],
  );
}

function failureMessage(plan: FaultPlan): string | null {
  if (!plan.failure) return null;
  return plan.failure.kind === 'content-policy' ? CONTENT_POLICY_FAILURE.message : plan.failure.message;
}

function sendRejection(res: RouteContext['res'], rejection: SubmitRejection): void {
  if (rejection.kind === 'provider-code' && isKlingAiErrorCode(rejection.code)) sendKlingAiError(res, rejection.code);
  else if (rejection.kind === 'http') sendKlingAiHttpError(res, rejection.status);
  else sendKlingAiError(res, 'INTERNAL_ERROR');
}

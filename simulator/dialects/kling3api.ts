// The `kling3api` dialect: POST /api/generate and GET /api/status of kling3api.com (its "Kling 3.0 API Documentation"),
// over the shared engine. Polling only: the document has no callback field, so tasks are accepted without one.
import { requireBearer } from '../auth.ts';
import { parseFaultDirectives, type FaultPlan, type SubmitRejection } from '../faults.ts';
import { sendText, type Route, type RouteContext, answeredByGateway } from '../http.ts';
import type { Dialect, DialectContext } from './dialect.ts';
import { isDocumentedCode, sendKling3apiError, sendKling3apiSuccess } from './kling3api-errors.ts';
import { GenerateBody, StatusQuery, problemOfIssues, problemOfTypeRules } from './kling3api-schemas.ts';
import {
  CONTENT_POLICY_MESSAGE,
  KLING3API_DIALECT,
  creditsOf,
  parsePublicTaskId,
  prefixOfType,
  publicTaskId,
  statusData,
} from './kling3api-shapes.ts';
import type { TaskType } from './kling3api-schemas.ts';

export const kling3apiDialect: Dialect = {
  name: KLING3API_DIALECT,
  routes: (context) => [
    { methods: ['POST'], pattern: /^\/api\/generate$/, handle: authenticated(context, createTask) },
    { methods: ['GET'], pattern: /^\/api\/status$/, handle: authenticated(context, queryTask) },
    { methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], pattern: /^\/api\//, handle: ({ res }) => sendKling3apiError(res, 'NOT_FOUND') },
  ],
};

type Handler = (context: DialectContext, route: RouteContext) => void;

function authenticated(context: DialectContext, handler: Handler): Route['handle'] {
  return requireBearer(
    context.credentials,
    ({ res }) => sendKling3apiError(res, 'INVALID_API_KEY'),
    (route) => handler(context, route),
  );
}

function createTask(context: DialectContext, { res, body: rawBody }: RouteContext): void {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    sendKling3apiError(res, 'INVALID_REQUEST', 'The body is not valid JSON');
    return;
  }
  const parsed = GenerateBody.safeParse(json);
  if (!parsed.success) {
    const problem = problemOfIssues(parsed.error.issues);
    sendKling3apiError(res, problem.code, problem.message);
    return;
  }
  const request = parsed.data;
  const ruleProblem = problemOfTypeRules(request);
  if (ruleProblem) {
    sendKling3apiError(res, ruleProblem.code, ruleProblem.message);
    return;
  }

  const { plan, problems } = parseFaultDirectives(request.prompt);
  problems.push(...undocumentedCodes(plan));
  if (problems.length > 0) {
    sendKling3apiError(res, 'INVALID_PROMPT', `Unknown simulator directive ${problems.join(' ')}`);
    return;
  }
  // The API takes no client id, so retries of one request are recognised by their prompt.
  const rejection = context.engine.registerAttempt(KLING3API_DIALECT, `prompt:${request.prompt}`, plan);
  if (rejection) {
    if (!answeredByGateway(context.gatewayErrors(), res, rejection)) sendRejection(res, rejection);
    return;
  }
  const model = request.type.startsWith('o3-') ? 'kling-o3' : 'kling-v3';
  const refusal = context.engine.checkLimits(KLING3API_DIALECT, model);
  if (refusal) {
    // The document's one load error: RATE_LIMITED (429, "too many requests, please slow down").
    sendKling3apiError(res, 'RATE_LIMITED', undefined, refusal.kind === 'rate' ? refusal.retryAfterSeconds : undefined);
    return;
  }

  const task = context.engine.accept({
    dialect: KLING3API_DIALECT,
    product: request.type,
    model,
    request,
    prompt: request.prompt,
    externalTaskId: null,
    callbackUrl: null,
    faults: plan,
    failureMessage: failureMessage(plan),
    renderCallback: (current) => statusData(current, context.baseUrl()),
    signCallback: null,
  });
  sendKling3apiSuccess(res, { task_id: publicTaskId(task), status: 'IN_PROGRESS', consumed_credits: creditsOf(task) });
}

function queryTask(context: DialectContext, { res, url }: RouteContext): void {
  const query = StatusQuery.safeParse(Object.fromEntries(url.searchParams));
  if (!query.success) {
    sendKling3apiError(res, 'INVALID_REQUEST', 'task_id is required');
    return;
  }
  const id = query.data.task_id;
  const parsedId = parsePublicTaskId(id);
  const task = parsedId ? context.engine.get(parsedId.engineId) : undefined;
  // The prefix routes to a backend: a Kling 3.0 task is not found under n71, nor an O3 task under n75.
  if (!task || task.dialect !== KLING3API_DIALECT || prefixOfType(task.product as TaskType) !== parsedId?.prefix) {
    sendKling3apiError(res, 'TASK_NOT_FOUND', `Task not found: ${id}`);
    return;
  }
  sendKling3apiSuccess(res, statusData(task, context.baseUrl()));
}

/** `[sim:CODE]` must name one of the document's codes. */
function undocumentedCodes(plan: FaultPlan): string[] {
  return plan.rejections.flatMap((rejection) =>
    rejection.kind === 'provider-code' && !isDocumentedCode(rejection.code) ? [`[sim:${rejection.code}]`] : [],
  );
}

function failureMessage(plan: FaultPlan): string | null {
  if (!plan.failure) return null;
  return plan.failure.kind === 'content-policy' ? CONTENT_POLICY_MESSAGE : plan.failure.message;
}

/** A documented code in its documented shape; a bare `httpNNN` is a gateway answer without the envelope. */
function sendRejection(res: RouteContext['res'], rejection: SubmitRejection): void {
  if (rejection.kind === 'provider-code') {
    // Undocumented codes were refused before the attempt was counted.
    sendKling3apiError(res, isDocumentedCode(rejection.code) ? rejection.code : 'INTERNAL_ERROR');
    return;
  }
  if (rejection.status === 503) {
    sendText(res, 503, '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>', 'text/html');
  } else {
    sendText(res, rejection.status, rejection.status === 500 ? 'Internal Server Error' : `HTTP ${rejection.status}`);
  }
}

// The `klinggenerator` dialect: klinggenerator.com's "Kling API" v3.0 (its "Kling API Documentation" page), mounted at
// /klinggenerator and standing in for https://api.klinggenerator.com. Two routes: `POST /v1/generate` and `GET
// /v1/jobs/{job_id}`; Bearer API key; errors by HTTP status; no callbacks.
import { requireBearer } from '../auth.ts';
import { parseFaultDirectives, type FaultPlan, type SubmitRejection } from '../faults.ts';
import type { Route, RouteContext } from '../http.ts';
import { answeredByGateway } from '../http.ts';
import type { Dialect, DialectContext } from './dialect.ts';
import { RATE_LIMIT_RESET_HEADER, sendKlingGeneratorError, sendKlingGeneratorJson, statusOfProviderCode } from './klinggenerator-errors.ts';
import { DailyQuota } from './klinggenerator-quota.ts';
import { generateBody, issuePath } from './klinggenerator-schemas.ts';
import { CONTENT_POLICY_FAILURE, KLINGGENERATOR_DIALECT, createdAnswer, jobAnswer, taskIdOf } from './klinggenerator-shapes.ts';

type Handler = (context: DialectContext, quota: DailyQuota, route: RouteContext) => void;

export const klinggeneratorDialect: Dialect = {
  name: KLINGGENERATOR_DIALECT,
  routes: (context) => {
    const quota = new DailyQuota();
    const guarded = (handler: Handler) => authenticated(context, quota, handler);
    return [
      { methods: ['POST'], pattern: /^\/v1\/generate$/, handle: guarded(generate) },
      { methods: ['GET'], pattern: /^\/v1\/jobs\/([^/]+)$/, handle: guarded(getJob) },
      {
        methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
        pattern: /^\/v1\//,
        handle: ({ res, req, url }) => sendKlingGeneratorError(res, 404, quota.remaining(), `No route for ${req.method} ${url.pathname}`),
      },
    ];
  },
};

function authenticated(context: DialectContext, quota: DailyQuota, handler: Handler): Route['handle'] {
  return requireBearer(
    context.credentials,
    ({ res }, failure) => sendKlingGeneratorError(res, 401, quota.remaining(), `Unauthorized: ${failure.detail}`),
    (route) => handler(context, quota, route),
  );
}

function generate(context: DialectContext, quota: DailyQuota, { res, body: rawBody }: RouteContext): void {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    sendKlingGeneratorError(res, 400, quota.remaining(), 'The request body is not valid JSON');
    return;
  }
  const parsed = generateBody.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issuePath(issue?.path ?? []);
    sendKlingGeneratorError(
      res,
      400,
      quota.remaining(),
      field ? `Invalid parameter ${field}: ${issue?.message}` : `Invalid body: ${issue?.message}`,
    );
    return;
  }
  const request = parsed.data;
  const { plan, problems } = parseFaultDirectives(request.prompt);
  problems.push(...unknownProviderCodes(plan));
  if (problems.length > 0) {
    sendKlingGeneratorError(res, 400, quota.remaining(), `Invalid parameter prompt: unknown simulator directive ${problems.join(' ')}`);
    return;
  }

  // No client id exists in this API, so repeated attempts are told apart by their prompt.
  const rejection = context.engine.registerAttempt(KLINGGENERATOR_DIALECT, `prompt:${request.prompt}`, plan);
  if (rejection) {
    if (!answeredByGateway(context.gatewayErrors(), res, rejection)) sendRejection(res, rejection, quota);
    return;
  }
  const refusal = context.engine.checkLimits(KLINGGENERATOR_DIALECT, request.model);
  if (refusal) {
    // The page's one load error is 429 ("Rate Limits"); the reset header is the one the adapter looks for.
    const reset: Record<string, string> = refusal.kind === 'rate' ? { [RATE_LIMIT_RESET_HEADER]: String(refusal.retryAfterSeconds) } : {};
    sendKlingGeneratorError(res, 429, quota.remaining(), 'Too many requests: the plan limit is reached', reset);
    return;
  }
  if (!quota.take()) {
    sendKlingGeneratorError(res, 429, 0, 'Daily request quota exceeded');
    return;
  }

  const task = context.engine.accept({
    dialect: KLINGGENERATOR_DIALECT,
    product: 'generate',
    model: request.model,
    request: json,
    prompt: request.prompt,
    externalTaskId: null,
    callbackUrl: null,
    faults: plan,
    failureMessage: failureMessage(plan),
    // The API has no callbacks; with callbackUrl null the engine never renders or sends one.
    renderCallback: (current) => jobAnswer(current, context.baseUrl()),
    signCallback: null,
  });
  sendKlingGeneratorJson(res, createdAnswer(task), quota.remaining());
}

function getJob(context: DialectContext, quota: DailyQuota, { res, params }: RouteContext): void {
  const jobId = params[0] ?? '';
  const taskId = taskIdOf(jobId);
  const task = taskId === undefined ? undefined : context.engine.get(taskId);
  if (!task || task.dialect !== KLINGGENERATOR_DIALECT) {
    sendKlingGeneratorError(res, 404, quota.remaining(), `No job ${jobId}`);
    return;
  }
  sendKlingGeneratorJson(res, jobAnswer(task, context.baseUrl()), quota.remaining());
}

/** Provider-code directives must name a documented error: `[sim:402]` or `[sim:insufficient_credits]`... */
function unknownProviderCodes(plan: FaultPlan): string[] {
  return plan.rejections.flatMap((rejection) =>
    rejection.kind === 'provider-code' && statusOfProviderCode(rejection.code) === undefined ? [`[sim:${rejection.code}]`] : [],
  );
}

function failureMessage(plan: FaultPlan): string | null {
  if (!plan.failure) return null;
  return plan.failure.kind === 'content-policy' ? CONTENT_POLICY_FAILURE.message : plan.failure.message;
}

/** A refused attempt in the documented shape; a 429 says the quota is used up. */
function sendRejection(res: RouteContext['res'], rejection: SubmitRejection, quota: DailyQuota): void {
  const status = rejection.kind === 'http' ? rejection.status : (statusOfProviderCode(rejection.code) ?? 500);
  sendKlingGeneratorError(res, status, status === 429 ? 0 : quota.remaining());
}

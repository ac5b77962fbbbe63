// The `replicate` dialect: Replicate's predictions API for the kwaivgi Kling models (Replicate HTTP API reference),
// mounted at `/replicate`, standing in for https://api.replicate.com.
//
// Routes: `POST /v1/models/{owner}/{name}/predictions` (201 + prediction), `GET /v1/predictions` (list, newest first),
// `GET /v1/predictions/{id}`, `POST /v1/predictions/{id}/cancel`. Webhooks carry the prediction object, signed with Standard Webhooks when the
// dialect has a webhook secret, and go to the `webhook` URL as given (query parameters kept).
//
// Simplifications: `Prefer: wait` is ignored (the answer always comes at once, usually `starting`). Webhooks follow
// the shared engine: one event when the prediction starts processing and one when it ends, whatever
// `webhook_events_filter` asks for (it is validated, not applied). A canceled prediction reads `canceled` at once;
// its webhook comes when the engine would have finished it. Versioned `POST /v1/predictions` is not served.
import { requireBearer } from '../auth.ts';
import { standardWebhooksSigner } from '../callbacks.ts';
import { parseFaultDirectives, type FaultPlan, type SubmitRejection } from '../faults.ts';
import type { Route, RouteContext } from '../http.ts';
import { sendJson } from '../http.ts';
import type { Dialect, DialectContext } from './dialect.ts';
import { describeIssuePath } from './kling-schemas.ts';
import {
  isReplicateFaultCode,
  sendReplicateError,
  sendReplicateFault,
  sendReplicateHttpFault,
  sendReplicateThrottled,
} from './replicate-errors.ts';
import { MODEL_INPUT_SCHEMAS, predictionCreateBody } from './replicate-schemas.ts';
import {
  FLAGGED_ERROR,
  REPLICATE_DIALECT,
  cancelPrediction,
  newPredictionId,
  renderPrediction,
  type StoredPrediction,
} from './replicate-shapes.ts';

export const replicateDialect: Dialect = {
  name: REPLICATE_DIALECT,
  routes: (context) => [
    { methods: ['POST'], pattern: /^\/v1\/models\/([^/]+)\/([^/]+)\/predictions$/, handle: authenticated(context, createPrediction) },
    { methods: ['GET'], pattern: /^\/v1\/predictions$/, handle: authenticated(context, listPredictions) },
    { methods: ['GET'], pattern: /^\/v1\/predictions\/([^/]+)$/, handle: authenticated(context, getPrediction) },
    { methods: ['POST'], pattern: /^\/v1\/predictions\/([^/]+)\/cancel$/, handle: authenticated(context, cancel) },
    {
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      pattern: /^\/v1\//,
      handle: ({ res }) => sendReplicateError(res, 404, 'Not found.'),
    },
  ],
};

type ReplicateHandler = (context: DialectContext, route: RouteContext) => void;

function authenticated(context: DialectContext, handler: ReplicateHandler): Route['handle'] {
  return requireBearer(
    context.credentials,
    ({ res }) => sendReplicateError(res, 401, 'You did not pass a valid authentication token.', 'Unauthenticated'),
    (route) => handler(context, route),
  );
}

function createPrediction(context: DialectContext, { res, params, body: rawBody }: RouteContext): void {
  const model = `${params[0] ?? ''}/${params[1] ?? ''}`;
  const inputSchema = MODEL_INPUT_SCHEMAS[model];
  if (!inputSchema) {
    sendReplicateError(res, 404, `Model ${model} does not exist, or this simulator does not run it.`);
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    sendReplicateError(res, 400, 'The request body is not valid JSON.');
    return;
  }
  const body = predictionCreateBody.safeParse(json);
  if (!body.success) {
    sendReplicateError(res, 422, issueText(body.error.issues[0]));
    return;
  }
  const input = inputSchema.safeParse(body.data.input);
  if (!input.success) {
    sendReplicateError(res, 422, issueText(input.error.issues[0], 'input'));
    return;
  }
  const prompt = typeof input.data.prompt === 'string' ? input.data.prompt : null;
  const { plan, problems } = parseFaultDirectives(prompt);
  problems.push(...unknownFaultCodes(plan));
  if (problems.length > 0) {
    sendReplicateError(res, 422, `input.prompt: unknown simulator directive ${problems.join(' ')}`);
    return;
  }

  // Replicate takes no client id, so repeated attempts are recognised by their prompt.
  const rejection = context.engine.registerAttempt(REPLICATE_DIALECT, `prompt:${prompt ?? ''}`, plan);
  if (rejection) {
    sendRejection(res, rejection);
    return;
  }
  const refusal = context.engine.checkLimits(REPLICATE_DIALECT, model);
  if (refusal) {
    // Replicate throttles with 429, Retry-After and "resets in ~Ns" (see replicate-errors.ts).
    sendReplicateThrottled(res, refusal.kind === 'rate' ? refusal.retryAfterSeconds : 1);
    return;
  }

  const stored: StoredPrediction = { model, input: input.data };
  const urls = () => ({ mountUrl: context.mountUrl(), baseUrl: context.baseUrl() });
  const task = context.engine.accept({
    dialect: REPLICATE_DIALECT,
    product: model,
    model,
    request: stored,
    prompt,
    // The prediction id: lets get/cancel find the task by the id clients know.
    externalTaskId: newPredictionId(),
    callbackUrl: body.data.webhook ?? null,
    faults: plan,
    failureMessage: failureMessage(plan),
    renderCallback: (current) => renderPrediction(context.engine, current, urls()),
    signCallback: context.webhookSecret ? standardWebhooksSigner(context.webhookSecret) : null,
  });
  sendJson(res, 201, renderPrediction(context.engine, task, urls()));
}

function getPrediction(context: DialectContext, { res, params }: RouteContext): void {
  const task = context.engine.findByExternalId(REPLICATE_DIALECT, params[0] ?? '');
  if (!task) {
    sendReplicateError(res, 404, 'Not found.');
    return;
  }
  sendJson(res, 200, renderPrediction(context.engine, task, { mountUrl: context.mountUrl(), baseUrl: context.baseUrl() }));
}

/** Predictions listed per page of `GET /v1/predictions` (the reference does not say; small, so paging is exercised). */
export const PREDICTIONS_PAGE_SIZE = 25;

/**
 * `GET /v1/predictions[?cursor=]` (Replicate HTTP API reference, 'predictions.list'): the account's predictions, newest
 * first, `{next, previous, results}` with `next` the URL of the following page (the cursor is the simulator's own).
 */
function listPredictions(context: DialectContext, { res, url }: RouteContext): void {
  const newestFirst = context.engine.list({ dialect: REPLICATE_DIALECT }).reverse();
  const start = Math.max(0, Number(url.searchParams.get('cursor') ?? '0') || 0);
  const page = newestFirst.slice(start, start + PREDICTIONS_PAGE_SIZE);
  const urls = { mountUrl: context.mountUrl(), baseUrl: context.baseUrl() };
  const next =
    start + PREDICTIONS_PAGE_SIZE < newestFirst.length ? `${urls.mountUrl}/v1/predictions?cursor=${start + PREDICTIONS_PAGE_SIZE}` : null;
  sendJson(res, 200, { next, previous: null, results: page.map((task) => renderPrediction(context.engine, task, urls)) });
}

function cancel(context: DialectContext, { res, params }: RouteContext): void {
  const task = context.engine.findByExternalId(REPLICATE_DIALECT, params[0] ?? '');
  if (!task) {
    sendReplicateError(res, 404, 'Not found.');
    return;
  }
  cancelPrediction(context.engine, task);
  sendJson(res, 200, renderPrediction(context.engine, task, { mountUrl: context.mountUrl(), baseUrl: context.baseUrl() }));
}

function issueText(issue: { path: readonly PropertyKey[]; message: string } | undefined, prefix?: string): string {
  if (!issue) return 'The request body does not match the schema.';
  const path = describeIssuePath([...(prefix ? [prefix] : []), ...issue.path]);
  return path ? `${path}: ${issue.message}` : issue.message;
}

function unknownFaultCodes(plan: FaultPlan): string[] {
  return plan.rejections
    .filter((rejection) => rejection.kind === 'provider-code' && !isReplicateFaultCode(rejection.code))
    .map((rejection) => `[sim:${rejection.kind === 'provider-code' ? rejection.code : ''}]`);
}

function failureMessage(plan: FaultPlan): string | null {
  if (!plan.failure) return null;
  return plan.failure.kind === 'content-policy' ? FLAGGED_ERROR : plan.failure.message;
}

function sendRejection(res: RouteContext['res'], rejection: SubmitRejection): void {
  if (rejection.kind === 'provider-code') sendReplicateFault(res, rejection.code);
  else sendReplicateHttpFault(res, rejection.status);
}

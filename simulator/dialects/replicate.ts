// The `replicate` dialect: Replicate's predictions API for the kwaivgi Kling models (Replicate HTTP API reference),
// mounted at `/replicate`, standing in for https://api.replicate.com.
//
// Routes: `POST /v1/models/{owner}/{name}/predictions` and versioned `POST /v1/predictions` (201 + prediction),
// `GET /v1/predictions` (list, newest first), `GET /v1/predictions/{id}`, `POST /v1/predictions/{id}/cancel`.
// `Prefer: wait[=n]` holds the create answer until the prediction ends or n seconds (at most 60) pass. Webhooks carry
// the prediction object, signed with Standard Webhooks when the dialect has a webhook secret, and go to the `webhook`
// URL as given (query parameters kept), for the events `webhook_events_filter` names (default: output and
// completed): `start` when it starts processing, `logs` at each progress line, `output`/`completed` once when it
// ends, `completed` once when it is canceled. Outputs are https links (the simulator's TLS side): Replicate's are, and
// its client makes a `FileOutput` only of https (or data) URLs. An hour after a prediction ends (the simulator's
// `dataRetentionMs`; at once with `[sim:data-removed]`) its input, output and logs are removed: `data_removed: true`,
// and the output link answers 404.
//
// Simplification: an `output` event and a `completed` event at the end are one webhook, not two.
import { requireBearer } from '../auth.ts';
import { standardWebhooksSigner } from '../callbacks.ts';
import { parseFaultDirectives, type FaultPlan, type SubmitRejection } from '../faults.ts';
import type { Route, RouteContext } from '../http.ts';
import { sendJson, answeredByGateway } from '../http.ts';
import type { Dialect, DialectContext } from './dialect.ts';
import { describeIssuePath } from './kling-schemas.ts';
import {
  isReplicateFaultCode,
  sendReplicateError,
  sendReplicateFault,
  sendReplicateHttpFault,
  sendReplicateThrottled,
} from './replicate-errors.ts';
import type { SimTask, SimTaskEvent } from '../engine.ts';
import {
  DEFAULT_WEBHOOK_EVENTS,
  MODEL_INPUT_SCHEMAS,
  MODEL_VERSIONS,
  predictionCreateBody,
  versionedCreateBody,
  type WebhookEvent,
} from './replicate-schemas.ts';
import { FLAGGED_ERROR, REPLICATE_DIALECT, newPredictionId, renderPrediction, type StoredPrediction } from './replicate-shapes.ts';

/** The longest `Prefer: wait` (Replicate HTTP API reference: "The request will wait up to 60 seconds"). */
const MAX_WAIT_SECONDS = 60;
const WAIT_POLL_MS = 20;

export const replicateDialect: Dialect = {
  name: REPLICATE_DIALECT,
  routes: (context) => [
    { methods: ['POST'], pattern: /^\/v1\/models\/([^/]+)\/([^/]+)\/predictions$/, handle: authenticated(context, createPrediction) },
    { methods: ['GET'], pattern: /^\/v1\/predictions$/, handle: authenticated(context, listPredictions) },
    { methods: ['POST'], pattern: /^\/v1\/predictions$/, handle: authenticated(context, createVersionedPrediction) },
    { methods: ['GET'], pattern: /^\/v1\/predictions\/([^/]+)$/, handle: authenticated(context, getPrediction) },
    { methods: ['POST'], pattern: /^\/v1\/predictions\/([^/]+)\/cancel$/, handle: authenticated(context, cancel) },
    {
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      pattern: /^\/v1\//,
      handle: ({ res }) => sendReplicateError(res, 404, 'Not found.'),
    },
  ],
};

function authenticated(context: DialectContext, handler: ReplicateAsyncHandler): Route['handle'] {
  return requireBearer(
    context.credentials,
    ({ res }) => sendReplicateError(res, 401, 'You did not pass a valid authentication token.', 'Unauthenticated'),
    (route) => handler(context, route),
  );
}

type ReplicateAsyncHandler = (context: DialectContext, route: RouteContext) => void | Promise<void>;

/** `POST /v1/models/{owner}/{name}/predictions`: the model in the path. */
function createPrediction(context: DialectContext, route: RouteContext): Promise<void> {
  const model = `${route.params[0] ?? ''}/${route.params[1] ?? ''}`;
  if (!MODEL_INPUT_SCHEMAS[model]) {
    sendReplicateError(route.res, 404, `Model ${model} does not exist, or this simulator does not run it.`);
    return Promise.resolve();
  }
  return create(context, route, model, undefined);
}

/** `POST /v1/predictions`: the model named by its version id in the body. */
function createVersionedPrediction(context: DialectContext, route: RouteContext): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(route.body);
  } catch {
    sendReplicateError(route.res, 400, 'The request body is not valid JSON.');
    return Promise.resolve();
  }
  const body = versionedCreateBody.safeParse(json);
  if (!body.success) {
    sendReplicateError(route.res, 422, issueText(body.error.issues[0]));
    return Promise.resolve();
  }
  const model = MODEL_VERSIONS[body.data.version];
  if (!model) {
    sendReplicateError(route.res, 422, `version: Invalid version or not permitted: ${body.data.version}`);
    return Promise.resolve();
  }
  return create(context, route, model, body.data.version);
}

async function create(
  context: DialectContext,
  { req, res, body: rawBody }: RouteContext,
  model: string,
  version: string | undefined,
): Promise<void> {
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
  const body = (version === undefined ? predictionCreateBody : versionedCreateBody).safeParse(json);
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
    if (!answeredByGateway(context.gatewayErrors(), res, rejection)) sendRejection(res, rejection);
    return;
  }
  const refusal = context.engine.checkLimits(REPLICATE_DIALECT, model);
  if (refusal) {
    // Replicate throttles with 429, Retry-After and "resets in ~Ns" (see replicate-errors.ts).
    sendReplicateThrottled(res, refusal.kind === 'rate' ? refusal.retryAfterSeconds : 1);
    return;
  }

  const stored: StoredPrediction = { model, ...(version !== undefined && { version }), input: input.data };
  const events = new Set<WebhookEvent>(body.data.webhook_events_filter ?? DEFAULT_WEBHOOK_EVENTS);
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
    renderCallback: (current) => renderPrediction(current, urlsOf(context)),
    signCallback: context.webhookSecret ? standardWebhooksSigner(context.webhookSecret) : null,
    callsBackOn: (event) => callsBackOn(events, event),
    outputRetentionMs: context.dataRetentionMs,
  });
  const waitSeconds = preferWait([req.headers.prefer ?? []].flat().join(', '));
  if (waitSeconds !== undefined) await untilEnded(task, waitSeconds * 1000);
  sendJson(res, 201, renderPrediction(task, urlsOf(context)));
}

/** Whether an engine event is one the prediction's webhook filter asks for. */
function callsBackOn(events: ReadonlySet<WebhookEvent>, event: SimTaskEvent): boolean {
  switch (event) {
    case 'started':
      return events.has('start');
    case 'progress':
      return events.has('logs');
    case 'finished':
      return events.has('completed') || events.has('output');
    case 'cancelled':
      return events.has('completed');
  }
}

/** The seconds `Prefer: wait` or `Prefer: wait=<n>` asks to hold the answer for (at most 60); undefined without it. */
function preferWait(header: string | undefined): number | undefined {
  const match = /(?:^|[,;\s])wait(?:=(\d+))?(?:$|[,;\s])/.exec(header ?? '');
  if (!match) return undefined;
  return Math.min(MAX_WAIT_SECONDS, match[1] === undefined ? MAX_WAIT_SECONDS : Math.max(1, Number(match[1])));
}

/** Resolves once the task has ended (succeeded, failed or been cancelled), or after `timeoutMs`. */
async function untilEnded(task: SimTask, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && task.cancelledAt === null && task.status !== 'succeeded' && task.status !== 'failed') {
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
}

/** Where the dialect is mounted, and the https root its output links start with. */
function urlsOf(context: DialectContext): { mountUrl: string; mediaUrl: string } {
  return { mountUrl: context.mountUrl(), mediaUrl: context.secureBaseUrl() };
}

function getPrediction(context: DialectContext, { res, params }: RouteContext): void {
  const task = context.engine.findByExternalId(REPLICATE_DIALECT, params[0] ?? '');
  if (!task) {
    sendReplicateError(res, 404, 'Not found.');
    return;
  }
  sendJson(res, 200, renderPrediction(task, urlsOf(context)));
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
  const urls = urlsOf(context);
  const next =
    start + PREDICTIONS_PAGE_SIZE < newestFirst.length ? `${urls.mountUrl}/v1/predictions?cursor=${start + PREDICTIONS_PAGE_SIZE}` : null;
  sendJson(res, 200, { next, previous: null, results: page.map((task) => renderPrediction(task, urls)) });
}

/** Cancels a prediction that has not ended (one `completed` webhook, status canceled); an ended one is left as it is. */
function cancel(context: DialectContext, { res, params }: RouteContext): void {
  const task = context.engine.findByExternalId(REPLICATE_DIALECT, params[0] ?? '');
  if (!task) {
    sendReplicateError(res, 404, 'Not found.');
    return;
  }
  context.engine.cancel(task.taskId);
  sendJson(res, 200, renderPrediction(task, urlsOf(context)));
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

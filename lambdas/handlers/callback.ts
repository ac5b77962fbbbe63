// Provider callbacks: POST /v1/callbacks/{provider}/{jobId} (docs/api.md, "Provider callbacks"). Not behind the
// API's authorizer: the callback proves itself (lambdas/jobs/receive-callback.ts). This handler checks what it can
// without reading anything (content type and coding, size, UTF-8, that the provider is enabled and the id could be a job id),
// then hands over. Every callback that is not believed, for whatever reason, gets the same 401 and body, so probing
// cannot tell an unknown job from a bad signature.
import { jobIdProblem } from '../domain/job.ts';
import { errorResponse, fieldError, json, jsonHeadersProblem, rawBody, type HttpEvent, type HttpResult } from '../http/responses.ts';
import { receiveCallback } from '../jobs/receive-callback.ts';
import { config } from '../aws/env.ts';
import { jobLogger, logger } from '../aws/logger.ts';
import { providerFor } from '../aws/runtime/providers.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { resumeWorkflowWait } from '../aws/runtime/workflow.ts';
import { callbackSecret } from '../aws/secrets.ts';
import { emitMetric } from '../aws/metrics.ts';

/** Largest callback body read, in bytes (a Replicate prediction with its logs is the largest one sent). */
export const MAX_CALLBACK_BYTES = 1024 * 1024;

/** The one answer for a callback that is not believed: unknown provider or job, bad signature or token, another job's task. */
const notBelieved = (): HttpResult =>
  errorResponse(401, 'UNAUTHORIZED', 'the callback did not verify', [
    { path: 'callback', message: 'its signature or token, or the job and task it names, did not verify' },
  ]);

export async function handler(event: HttpEvent): Promise<HttpResult> {
  const providerId = event.pathParameters?.provider ?? '';
  const jobId = event.pathParameters?.jobId ?? '';
  const log = jobLogger(jobIdProblem(jobId) ? '(not a job id)' : jobId);
  try {
    const headersProblem = jsonHeadersProblem(event);
    if (headersProblem) return headersProblem;
    const body = rawBody(event);
    if (body === undefined) return fieldError(422, 'VALIDATION_FAILED', 'body', 'is not valid UTF-8');
    if (Buffer.byteLength(body) > MAX_CALLBACK_BYTES) {
      return fieldError(413, 'PAYLOAD_TOO_LARGE', 'body', `is larger than ${MAX_CALLBACK_BYTES} bytes`);
    }
    if (!config.enabledProviders().includes(providerId) || jobIdProblem(jobId)) {
      log.warn('callback refused', { reason: 'not an enabled provider, or not a job id' });
      return notBelieved();
    }
    const { adapter, context } = await providerFor(providerId);
    const outcome = await receiveCallback(
      { store: jobStore(), adapter, context, callbackSecret, resume: resumeWorkflowWait },
      { providerId, jobId, headers: lowerCaseHeaders(event.headers), query: { ...event.queryStringParameters }, rawBody: body },
    );
    switch (outcome.kind) {
      case 'refused':
        log.warn('callback refused', { reason: outcome.reason });
        return notBelieved();
      case 'unverifiable':
        log.warn('callback could not be verified now', { reason: outcome.reason });
        return errorResponse(503, 'UNAVAILABLE', 'the callback could not be verified right now; retry later');
      case 'accepted':
        emitMetric({ name: 'CallbacksReceived', value: 1, dimensions: { provider: providerId }, jobId });
        log.info('callback received', { status: outcome.status, progress: outcome.progress, recorded: outcome.recorded });
        if (outcome.recorded && !outcome.resumed && ['succeeded', 'failed', 'cancelled'].includes(outcome.status)) {
          log.info('no wait to wake; the next round picks the result up');
        }
        return json(200, { received: true });
    }
  } catch (error) {
    // After verification: the store or the workflow failed. The provider retries on a 5xx.
    logger.error('callback failed', { jobId, error: error as Error });
    return errorResponse(500, 'INTERNAL', 'the callback could not be processed; retry later');
  }
}

function lowerCaseHeaders(headers: HttpEvent['headers']): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

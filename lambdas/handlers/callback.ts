// Provider callbacks: POST /v1/callbacks/{provider}/{jobId}. Not behind the API's authorizer: the adapter
// verifies the provider's signature, or (for providers that do not sign) the per-job token in the URL is
// checked here, before anything is believed. A terminal result is
// recorded on the job first, then the workflow's current wait is woken with it.
import { CALLBACK_TOKEN_PARAM, verifyCallbackToken } from '../domain/callback-token.ts';
import { CallbackRejected } from '../domain/errors.ts';
import { errorResponse, json, rawBody, type HttpEvent, type HttpResult } from '../http/responses.ts';
import { isTerminalResult, recordProviderResult, toProviderResult } from '../jobs/provider-result.ts';
import { config } from '../aws/env.ts';
import { jobLogger, logger } from '../aws/logger.ts';
import { jobStore, providerFor, resumeWorkflowWait } from '../aws/runtime.ts';
import { callbackSecret } from '../aws/secrets.ts';
import { parseCallbackOf } from '../providers/scaffold.ts';

export async function handler(event: HttpEvent): Promise<HttpResult> {
  const providerId = event.pathParameters?.provider ?? '';
  const jobId = event.pathParameters?.jobId ?? '';
  const log = jobLogger(jobId);
  try {
    if (!config.enabledProviders().includes(providerId)) return errorResponse(404, 'NOT_FOUND', `no provider ${providerId}`);
    const store = jobStore();
    const job = await store.get(jobId);
    // Same answer for an unknown job and another provider's job: nothing to learn by probing.
    if (!job || job.provider !== providerId) return errorResponse(404, 'NOT_FOUND', `no job ${jobId}`);

    const { adapter, context } = await providerFor(providerId);
    const { [CALLBACK_TOKEN_PARAM]: token, ...query } = event.queryStringParameters ?? {};
    if (adapter.capabilities.callbackAuth === 'url-token' && !verifyCallbackToken(await callbackSecret(), providerId, jobId, token)) {
      throw new CallbackRejected('the callback URL token does not match this job');
    }
    const status = await parseCallbackOf(
      adapter,
      { headers: lowerCaseHeaders(event.headers), query, rawBody: rawBody(event), jobId },
      context,
    );
    // The task id from Submit is the one the workflow knows; the callback's may be shorter.
    const result = toProviderResult(status, 'callback', job.providerTaskId);
    const updated = await recordProviderResult(store, jobId, result);
    log.info('callback received', { status: result.status, progress: result.progress });

    if (updated && isTerminalResult(result.status) && updated.taskToken) {
      const resumed = await resumeWorkflowWait(updated.taskToken, result);
      if (!resumed) log.info('the wait had already ended; the next round picks the result up');
    }
    return json(200, { received: true });
  } catch (error) {
    if (error instanceof CallbackRejected) {
      log.warn('callback rejected', { reason: error.message });
      return errorResponse(401, 'UNAUTHORIZED', 'callback signature did not verify');
    }
    logger.error('callback failed', { jobId, error: error as Error });
    return errorResponse(500, 'INTERNAL', 'the callback could not be processed; retry later');
  }
}

function lowerCaseHeaders(headers: HttpEvent['headers']): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

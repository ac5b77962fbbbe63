// A provider's callback, from verification to the wait it wakes (docs/api.md, "Provider callbacks").
//
// Verification comes first and reads no job: the per-job URL token (providers that do not sign) or the provider's
// own signature (the adapter's `parseCallback`, which also checks the per-job binding its provider has: Kling's
// signed `external_task_id`, fal's job tag). Only a verified callback reads the job, and it is accepted for that job
// only: the job must belong to the provider, and the task the callback names must be the task Submit recorded. A
// genuine callback about one job's task therefore cannot finish another job, whatever its URL says. Every refusal
// is the same outcome, so probing cannot tell an unknown job from a bad signature.
import { CALLBACK_TOKEN_PARAM, verifyCallbackToken } from '../domain/callback-token.ts';
import { CallbackRejected, ProviderError } from '../domain/errors.ts';
import { hostileProblems, isTerminal } from '../domain/job.ts';
import type { AdapterContext, CanonicalStatus, ProviderAdapter, ProviderStatus } from '../providers/port.ts';
import { parseCallbackOf } from '../providers/scaffold.ts';
import type { ProviderResult } from '../workflow/contract.ts';
import type { JobRepository } from './ports.ts';
import { isTerminalResult, recordProviderResult, toProviderResult } from './provider-result.ts';

export interface CallbackDeps {
  store: Pick<JobRepository, 'get' | 'updateActive'>;
  /** The adapter of the provider the callback URL names (an enabled one), with its context. */
  adapter: ProviderAdapter;
  context: AdapterContext;
  /** The deployment's callback secret; asked for only for `url-token` providers. */
  callbackSecret(): Promise<string>;
  /** Wakes the job's current wait with a terminal result; `false` when the wait had already ended. */
  resume(taskToken: string, result: ProviderResult): Promise<boolean>;
}

/** A callback as it arrived: the provider and job its URL names, its headers (lower-case names), query and raw body. */
export interface IncomingCallback {
  providerId: string;
  jobId: string;
  headers: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  rawBody: string;
}

export type CallbackOutcome =
  /** Verified and recorded (`recorded: false` when the job had already ended); `resumed` when a wait was woken. */
  | { kind: 'accepted'; status: CanonicalStatus; progress?: number; recorded: boolean; resumed: boolean }
  /** Not believed: the signature, the token, or the job and task it names. `reason` is for the logs only. */
  | { kind: 'refused'; reason: string }
  /** Verification could not be done now (the provider's key set could not be reached): the provider should retry. */
  | { kind: 'unverifiable'; reason: string };

/**
 * Whether the task a callback names is the task recorded on the job: the same id, or the recorded id's last
 * `:`-separated part, since some adapters record a qualified id and their provider reports the bare one (Kling
 * `<product>:<task_id>`, fal `<endpoint>:<request_id>`). The `:` boundary means `23` never names `text2video:123`.
 */
export function namesRecordedTask(recorded: string, reported: string): boolean {
  if (!reported) return false;
  return recorded === reported || (!reported.includes(':') && recorded.endsWith(`:${reported}`));
}

const refused = (reason: string): CallbackOutcome => ({ kind: 'refused', reason });

/**
 * What a JSON callback body holds that no request may (docs/api.md, "Input that is never accepted": reserved keys,
 * lone surrogates, nesting past 8 levels), as `path: message` lines; empty for a clean body or one that is not JSON
 * (the adapter has read it already).
 */
export function callbackBodyProblems(rawBody: string): string[] {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return [];
  }
  return hostileProblems(body).map((problem) => `${problem.path} ${problem.message}`);
}

/** Error kinds that mean the provider's verification keys could not be reached, not that the callback is bad. */
const UNREACHABLE: ReadonlySet<ProviderError['kind']> = new Set(['network', 'overloaded', 'rate_limited']);

/** Verifies, binds and records one callback. Throws only for failures on klingflow's side (the store, the workflow). */
export async function receiveCallback(deps: CallbackDeps, callback: IncomingCallback): Promise<CallbackOutcome> {
  const { providerId, jobId } = callback;
  const { [CALLBACK_TOKEN_PARAM]: token, ...query } = callback.query;
  if (
    deps.adapter.capabilities.callbackAuth === 'url-token' &&
    !verifyCallbackToken(await deps.callbackSecret(), providerId, jobId, token)
  ) {
    return refused('the callback URL token does not match this job');
  }
  let status: ProviderStatus;
  try {
    status = await parseCallbackOf(deps.adapter, { headers: callback.headers, query, rawBody: callback.rawBody, jobId }, deps.context);
  } catch (error) {
    // The provider's key set could not be fetched (a network failure, a throttle): nothing was verified either way.
    if (error instanceof ProviderError && UNREACHABLE.has(error.kind)) return { kind: 'unverifiable', reason: error.message };
    // Anything else is a callback klingflow will not act on: a bad signature, or a body no adapter can make sense
    // of (a signed "succeeded" without a video, a hostile body that makes a parser throw). Polling is the safety net.
    return refused(error instanceof CallbackRejected ? error.message : `verification failed: ${(error as Error).name}`);
  }
  // Verified, and still not acted on when it holds what no request may: polling reads the task instead.
  const hostile = callbackBodyProblems(callback.rawBody);
  if (hostile.length) return refused(`the body holds what no request may: ${hostile.slice(0, 3).join('; ')}`);

  const job = await deps.store.get(jobId);
  if (!job || job.provider !== providerId) return refused(`no job ${jobId} of provider ${providerId}`);
  if (!job.providerTaskId) {
    // A job that ended before Submit recorded a task (cancelled while queued, refused at submit) will never have one:
    // the callback is refused as any unbound one, and the log says why rather than "not yet".
    return refused(
      isTerminal(job.status)
        ? `the job has ended (${job.status}) with no provider task recorded: nothing to bind the callback to`
        : 'the job has no provider task recorded yet',
    );
  }
  if (!namesRecordedTask(job.providerTaskId, status.providerTaskId)) {
    return refused(`the callback is about task ${status.providerTaskId}, not the job's task ${job.providerTaskId}`);
  }

  // The task id Submit recorded is the one the workflow polls with; the callback's may be the bare one.
  const result = toProviderResult(status, 'callback', job.providerTaskId);
  const updated = await recordProviderResult(deps.store, jobId, result);
  const resumed = updated && isTerminalResult(result.status) && updated.taskToken ? await deps.resume(updated.taskToken, result) : false;
  return {
    kind: 'accepted',
    status: result.status,
    ...(result.progress !== undefined ? { progress: result.progress } : {}),
    recorded: updated !== undefined,
    resumed,
  };
}

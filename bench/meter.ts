// Lambda invocations as AWS would bill them: every call the local stack makes to a handler (the front door, the
// workflow, the upload trigger) goes through LambdaHost.invoke, which the bench wraps to record the handler, the
// job and how long the call took. Prices are AWS's list prices (us-east-1).
import { HANDLER_SIZING } from '../lib/functions.ts';
import { LambdaHost } from '../local/lambda-host.ts';
import type { HandlerName } from '../lambdas/workflow/contract.ts';

export const PRICES = {
  /** Step Functions Standard, per state transition ($0.025 per 1,000). */
  transition: 0.025 / 1000,
  /** Lambda arm64, per request ($0.20 per million). */
  request: 0.2 / 1_000_000,
  /** Lambda arm64, per GB-second. */
  gbSecond: 0.0000133334,
} as const;

export interface Invocation {
  handler: string;
  jobId?: string;
  ms: number;
}

export const invocations: Invocation[] = [];

const jobIdOf = (event: unknown): string | undefined => {
  const e = event as { jobId?: unknown; pathParameters?: { jobId?: unknown } } | undefined;
  const id = e?.jobId ?? e?.pathParameters?.jobId;
  return typeof id === 'string' ? id : undefined;
};

let installed = false;

/** Starts recording every handler invocation of this process (idempotent). */
export function meterLambdas(): void {
  if (installed) return;
  installed = true;
  const invoke = LambdaHost.prototype.invoke;
  LambdaHost.prototype.invoke = async function (this: LambdaHost, name, event, timeoutMs) {
    const started = performance.now();
    try {
      return await invoke.call(this, name, event, timeoutMs);
    } finally {
      invocations.push({ handler: name, jobId: jobIdOf(event), ms: performance.now() - started });
    }
  };
}

/** GB-seconds of one invocation at the handler's configured memory, billed per started millisecond. */
export function gbSeconds(handler: string, ms: number): number {
  const memoryMb = HANDLER_SIZING[handler as HandlerName]?.memorySize ?? 256;
  return (Math.ceil(ms) / 1000) * (memoryMb / 1024);
}

// Reconcile (docs/architecture.md, "Recovery"): no job left stuck or silent. On AWS an EventBridge schedule invokes
// it (asynchronously: failures go to its dead-letter queue, which raises an alarm); the local stack invokes it when it
// starts and on a timer. It re-drives unfinished jobs without a live execution, ends those that keep stalling, sends
// missing notices and webhooks, and frees the slots of jobs that ended without releasing them.
import { RECONCILE_DEFAULTS, reconcile } from '../jobs/reconcile.ts';
import { releaseSlot, sweepPools } from '../jobs/admission.ts';
import { config } from '../aws/env.ts';
import { logger } from '../aws/logger.ts';
import { admissionDeps, describeExecution, jobStore, startExecution, workflowConfig } from '../aws/runtime.ts';

/** `graceSeconds` overrides how long a job is left alone after its last change (the local stack passes 0 at start). */
export async function handler(event: { graceSeconds?: number } | null = {}) {
  const admission = admissionDeps();
  const report = await reconcile({
    store: jobStore(),
    startExecution,
    describeExecution,
    releaseSlot: (jobId) => releaseSlot(admission, jobId),
    config: workflowConfig(),
    now: () => new Date(),
    graceSeconds: typeof event?.graceSeconds === 'number' ? event.graceSeconds : RECONCILE_DEFAULTS.graceSeconds,
    maxRedrives: RECONCILE_DEFAULTS.maxRedrives,
  });
  const freedSlots = await sweepPools(admission, config.enabledProviders());
  const acted = report.redriven.length + report.ended.length + report.renotified.length + freedSlots.length;
  if (acted) logger.info('reconciled', { ...report, freedSlots });
  return { ...report, freedSlots };
}

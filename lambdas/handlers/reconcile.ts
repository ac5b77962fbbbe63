// Reconcile (docs/architecture.md, "Recovery"): no job left stuck or silent. On AWS an EventBridge schedule invokes
// it (asynchronously: failures go to its dead-letter queue, which raises an alarm); the local stack invokes it when it
// starts and on a timer. It re-drives unfinished jobs without a live execution, ends those that keep stalling, sends
// missing notices and webhooks, polls callback jobs whose callback is overdue, and frees the slots of jobs that ended
// without releasing them.
import { RECONCILE_DEFAULTS, reconcile } from '../jobs/reconcile.ts';
import { releaseSlot, sweepPools } from '../jobs/admission.ts';
import { config } from '../aws/env.ts';
import { logger } from '../aws/logger.ts';
import { emitMetrics } from '../aws/metrics.ts';
import { ALL_PROVIDERS, jobDeadlineSeconds, type MetricPoint } from '../domain/metrics.ts';
import { admissionDeps } from '../aws/runtime/admission.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { describeExecution, resumeWorkflowWait, startExecution, workflowConfig } from '../aws/runtime/workflow.ts';
import { providerFor } from '../aws/runtime/providers.ts';
import { checkLostCallback } from '../jobs/safety-poll.ts';

/** The JobsPastDeadline gauge: one point per enabled provider (0 included, so an alarm sees data) and their total. */
function pastDeadlinePoints(counts: Record<string, number>, providers: readonly string[]): MetricPoint[] {
  const ids = [...new Set([...providers, ...Object.keys(counts)])];
  const total = ids.reduce((sum, id) => sum + (counts[id] ?? 0), 0);
  return [...ids, ALL_PROVIDERS].map((provider) => ({
    name: 'JobsPastDeadline' as const,
    value: provider === ALL_PROVIDERS ? total : (counts[provider] ?? 0),
    dimensions: { provider },
  }));
}

/**
 * `graceSeconds` overrides how long a job is left alone after its last change, and `claimsStaleBefore` (ISO 8601)
 * makes every notice claim older than it stale: the local stack passes 0 and its own start at its first pass.
 */
export async function handler(event: { graceSeconds?: number; claimsStaleBefore?: string } | null = {}) {
  const claimsStaleBefore = typeof event?.claimsStaleBefore === 'string' ? new Date(event.claimsStaleBefore) : undefined;
  const admission = admissionDeps();
  const deadlines = config.deadlines();
  const store = jobStore();
  const report = await reconcile({
    store,
    startExecution,
    describeExecution,
    releaseSlot: (jobId) => releaseSlot(admission, jobId),
    config: workflowConfig(),
    now: () => new Date(),
    graceSeconds: typeof event?.graceSeconds === 'number' ? event.graceSeconds : RECONCILE_DEFAULTS.graceSeconds,
    maxRedrives: RECONCILE_DEFAULTS.maxRedrives,
    ...(claimsStaleBefore && !Number.isNaN(claimsStaleBefore.getTime()) ? { claimsStaleBefore } : {}),
    checkLostCallback: (job) =>
      checkLostCallback(
        { store, providerOf: providerFor, resume: resumeWorkflowWait, now: () => new Date(), timeScale: config.waitTimeScale() },
        job,
      ),
    deadlineSeconds: jobDeadlineSeconds({
      longestDeadlineSeconds: Math.max(deadlines.defaultSeconds, ...Object.values(deadlines.byModel)),
      maxQueueSeconds: config.maxQueueSeconds(),
    }),
  });
  emitMetrics(pastDeadlinePoints(report.pastDeadline, config.enabledProviders()));
  const freedSlots = await sweepPools(admission, config.enabledProviders());
  const acted =
    report.redriven.length +
    report.ended.length +
    report.renotified.length +
    report.lostCallbacks.length +
    report.safetyPollsFailed.length +
    freedSlots.length;
  if (acted) logger.info('reconciled', { ...report, freedSlots });
  return { ...report, freedSlots };
}

// Reconcile: re-drives every job that has not finished (docs/architecture.md, "Recovery"). The local stack invokes
// it at start, since its executions lived in memory; Submit finds an already-submitted task, so nothing is sent
// twice. Not deployed on AWS yet: a scheduled reconciler there is planned (docs/api.md, "Not built yet").
import { reconcileActiveJobs } from '../jobs/reconcile.ts';
import { logger } from '../aws/logger.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { startExecution, workflowConfig } from '../aws/runtime/workflow.ts';

/** Returns the ids of the jobs whose execution was started again. */
export async function handler(): Promise<{ redriven: string[] }> {
  const redriven = await reconcileActiveJobs(jobStore(), startExecution, workflowConfig());
  if (redriven.length) logger.info('unfinished jobs driven again', { count: redriven.length });
  return { redriven };
}

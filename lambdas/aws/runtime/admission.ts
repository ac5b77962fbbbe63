// The composition root's admission control (see store.ts): the slots table, waking waits, each provider's limits.
import { admissionTimings } from '../../domain/admission.ts';
import type { AdmissionDeps } from '../../jobs/admission.ts';
import { DynamoAdmissionStore } from '../admission-store.ts';
import { dynamo } from '../clients/dynamo.ts';
import { sfn } from '../clients/sfn.ts';
import { config } from '../env.ts';
import { resumeWait } from '../step-functions.ts';
import { jobStore } from './store.ts';
import { failWorkflowWait } from './workflow.ts';

/** What admission control needs: the jobs and admission tables, waking waits, and each provider's limits. */
export const admissionDeps = (): AdmissionDeps => ({
  jobs: jobStore(),
  slots: new DynamoAdmissionStore(dynamo(), config.admissionTable()),
  resumeWait: (taskToken, output) => resumeWait(sfn(), taskToken, output),
  failWait: failWorkflowWait,
  limitsOf: (providerId) => config.providerConcurrency(providerId),
  timings: admissionTimings({
    slotWaitSeconds: config.slotWaitSeconds(),
    leaseSeconds: config.slotLeaseSeconds(),
    maxQueueSeconds: config.maxQueueSeconds(),
  }),
  now: () => new Date(),
});

// The composition root (lambdas/aws/runtime/): the one place that builds the real dependencies of the use cases
// from the environment (env.ts) and the AWS clients (clients/). Handlers ask these modules for what they need and
// stay wiring only; tests of a use case build the same dependency shapes with fakes instead. One module per
// concern, so a handler's bundle carries only the clients and adapters it uses: this one is the job store.
import type { JobRepository } from '../../jobs/ports.ts';
import { dynamo } from '../clients/dynamo.ts';
import { config } from '../env.ts';
import { JobStore } from '../job-store.ts';

/** The jobs table of this deployment (or of the local stack). */
export const jobStore = (): JobRepository => new JobStore(dynamo(), config.jobsTable());

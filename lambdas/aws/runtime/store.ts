// The composition root (lambdas/aws/runtime/): the one place that builds the real dependencies of the use cases
// from the environment (env.ts) and the AWS clients (clients/). One module per concern, so a handler's bundle
// carries only the clients and adapters it uses: this one is the job store, on DynamoDB.
import type { JobRepository } from '../../jobs/ports.ts';
import { dynamo } from '../clients/dynamo.ts';
import { config } from '../env.ts';
import { JobStore } from '../job-store.ts';

/** The jobs table of this deployment (or of the local stack). */
export const jobStore = (): JobRepository => new JobStore(dynamo(), config.jobsTable());

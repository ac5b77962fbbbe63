// Tracing with Powertools Tracer (AWS X-Ray). Every function runs with active tracing (lib/functions.ts); here:
// - the AWS SDK clients are captured (lambdas/aws/clients/), so DynamoDB, S3, Step Functions and SNS calls are
//   subsegments;
// - each task handler runs in a `## <handler>` subsegment annotated with `jobId` (and `provider` once known), which
//   X-Ray indexes, so a job's traces are found with `annotation.jobId = "job_..."`;
// - provider HTTP calls (the adapters' `fetch`) run in a `provider <id>` subsegment with the same annotations.
// Outside Lambda (the local stack, tests) Powertools turns tracing off (POWERTOOLS_TRACE_ENABLED=false there): every
// call below is then a no-op apart from `putAnnotation`'s own no-op, and nothing breaks.
import { Tracer } from '@aws-lambda-powertools/tracer';

/** The process's tracer (service `klingflow`). */
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'klingflow' });

/** What X-Ray indexes on klingflow's segments. */
export interface TraceAnnotations {
  jobId?: string;
  provider?: string;
}

/** Annotates the current segment (the handler's subsegment, or a provider call's) with the job id and provider. */
export function annotate(annotations: TraceAnnotations, on: Pick<Tracer, 'putAnnotation'> = tracer): void {
  if (annotations.jobId) on.putAnnotation('jobId', annotations.jobId);
  if (annotations.provider) on.putAnnotation('provider', annotations.provider);
}

/**
 * Runs `work` in a subsegment named `name`, annotated with `annotations`; the subsegment records an error `work`
 * throws and is closed either way. With tracing off, only `work` runs (and the annotations are no-ops).
 */
export async function inSubsegment<R>(
  name: string,
  annotations: TraceAnnotations,
  work: () => Promise<R>,
  using: Tracer = tracer,
): Promise<R> {
  if (!using.isTracingEnabled()) {
    annotate(annotations, using);
    return work();
  }
  const parent = using.getSegment();
  if (!parent) return work();
  const subsegment = parent.addNewSubsegment(name);
  using.setSegment(subsegment);
  try {
    annotate(annotations, using);
    return await work();
  } catch (error) {
    using.addErrorAsMetadata(error as Error);
    throw error;
  } finally {
    subsegment.close();
    using.setSegment(parent);
  }
}

/**
 * A `fetch` whose every call runs in a `provider <id>` subsegment annotated with the provider (and the job, when
 * known). Powertools' own fetch instrumentation adds the HTTP subsegment (host, status) inside it.
 */
export function tracedProviderFetch(
  fetch: typeof globalThis.fetch,
  providerId: string,
  jobId?: string,
  using: Tracer = tracer,
): typeof globalThis.fetch {
  return (input, init) =>
    inSubsegment(`provider ${providerId}`, { provider: providerId, ...(jobId ? { jobId } : {}) }, () => fetch(input, init), using);
}

/**
 * Wraps a handler that is not a workflow task (the API, callbacks, the upload trigger, the reconciler) so it runs in a
 * `## <name>` subsegment: Lambda's own segment takes no annotations, a subsegment does. `annotationsOf` reads the
 * job id and provider from the event where it names them.
 */
export function tracedHandler<E, R>(
  name: string,
  handler: (event: E) => Promise<R>,
  annotationsOf: (event: E) => TraceAnnotations = () => ({}),
) {
  return (event: E): Promise<R> => inSubsegment(`## ${name}`, annotationsOf(event), () => handler(event));
}

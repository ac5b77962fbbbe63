// Wraps a workflow task handler: parses the state's payload with its schema (a payload that does not fit is a
// bug in the workflow, reported as such), gives the handler a logger that carries the job id, and lets errors
// through with their names, which is what the workflow's Retry/Catch rules match.
import type * as z from '../domain/zod.ts';
import { jobLogger, logger, type JobLog } from './logger.ts';
import { withInvocation } from './invocation.ts';

export function taskHandler<S extends z.ZodMiniType<{ jobId: string }>, R>(
  name: string,
  schema: S,
  work: (payload: z.infer<S>, log: JobLog) => Promise<R>,
): (event: unknown) => Promise<R> {
  return async (event: unknown) => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      logger.error(`${name}: payload does not match its schema`, { issues: parsed.error.issues });
      throw new Error(`${name}: payload does not match its schema: ${parsed.error.message}`);
    }
    const log = jobLogger(parsed.data.jobId);
    return withInvocation({ jobId: parsed.data.jobId }, async () => {
      try {
        return await work(parsed.data, log);
      } catch (error) {
        log.warn(`${name} failed`, { errorName: (error as Error).name, error: (error as Error).message });
        throw error;
      }
    });
  };
}

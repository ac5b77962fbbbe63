// Structured JSON logs (Powertools). Every line about a job carries its id: use `jobLogger(jobId)`.
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'klingflow' });

type LogMethod = (message: string, extra?: Record<string, unknown>) => void;

/** A logger whose every line carries one job's id. */
export interface JobLog {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

/**
 * A logger whose every line carries the job id as a top-level key (safe when several jobs share one process). It
 * adds the key per line instead of making a child logger per job: `createChild` costs ~0.4 ms, on every task of
 * every job, and the local stack runs hundreds at a time.
 */
export const jobLogger = (jobId: string): JobLog => ({
  debug: (message, extra) => logger.debug(message, { ...extra, jobId }),
  info: (message, extra) => logger.info(message, { ...extra, jobId }),
  warn: (message, extra) => logger.warn(message, { ...extra, jobId }),
  error: (message, extra) => logger.error(message, { ...extra, jobId }),
});

// Structured JSON logs (Powertools). Every line about a job carries its id: use `jobLogger(jobId)`.
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'klingflow' });

/** A child logger whose every line carries the job id (safe when several jobs share one process). */
export const jobLogger = (jobId: string): Logger => logger.createChild({ persistentKeys: { jobId } });

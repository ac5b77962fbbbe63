// The S3 client (see per-settings.ts).
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { config } from '../env.ts';
import { logger } from '../logger.ts';
import { perSettings } from './per-settings.ts';

/**
 * The SDK's own log lines, kept at debug level. A client without a logger writes to the console when a streamed
 * upload's connection drops ("An error was encountered in a non-retryable streaming request."): the error also
 * reaches the caller, and s3-archive.ts copies once more. Per-request lines (`info`) are dropped.
 */
export const sdkLogger: NonNullable<S3ClientConfig['logger']> = {
  debug: (...content: unknown[]) => logger.debug('aws-sdk', { content }),
  info: () => undefined,
  warn: (...content: unknown[]) => logger.debug('aws-sdk', { content }),
  error: (...content: unknown[]) => logger.debug('aws-sdk', { content }),
};

export const s3 = perSettings(
  'S3',
  () =>
    new S3Client({
      forcePathStyle: config.s3ForcePathStyle(),
      logger: sdkLogger,
      // Checksums only where S3 requires them: identical on AWS, and the local emulator (s3rver) would otherwise
      // store the aws-chunked framing verbatim (docs/architecture.md, "Local emulators: known quirks").
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
);

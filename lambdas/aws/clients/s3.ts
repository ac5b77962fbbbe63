// The S3 client (see per-settings.ts).
import { S3Client } from '@aws-sdk/client-s3';
import { config } from '../env.ts';
import { tracer } from '../tracing.ts';
import { perSettings } from './per-settings.ts';

export const s3 = perSettings('S3', () =>
  tracer.captureAWSv3Client(
    new S3Client({
      forcePathStyle: config.s3ForcePathStyle(),
      // Checksums only where S3 requires them: identical on AWS, and the local emulator (s3rver) would otherwise
      // store the aws-chunked framing verbatim (docs/architecture.md, "Local emulators: known quirks").
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  ),
);

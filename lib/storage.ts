// Where klingflow keeps state: the Jobs table and the bucket archived videos land in.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Names of the Jobs table's global secondary indexes (the api handler queries them). */
export const JOBS_INDEXES = {
  /** Jobs of one status, newest first: pk `status`, sk `createdAt`. */
  byStatus: 'byStatus',
  /** All jobs, newest first: pk `kind` (a constant per item type), sk `createdAt`. */
  byCreatedAt: 'byCreatedAt',
} as const;

/** Key prefix of everything the archive handler writes into the outputs bucket. */
export const OUTPUTS_KEY_PREFIX = 'jobs/';

export class Storage extends Construct {
  readonly jobsTable: dynamodb.TableV2;
  readonly outputsBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.jobsTable = new dynamodb.TableV2(this, 'Jobs', {
      partitionKey: { name: 'jobId', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [
        {
          indexName: JOBS_INDEXES.byStatus,
          partitionKey: { name: 'status', type: dynamodb.AttributeType.STRING },
          sortKey: { name: 'createdAt', type: dynamodb.AttributeType.STRING },
          projectionType: dynamodb.ProjectionType.ALL,
        },
        {
          indexName: JOBS_INDEXES.byCreatedAt,
          partitionKey: { name: 'kind', type: dynamodb.AttributeType.STRING },
          sortKey: { name: 'createdAt', type: dynamodb.AttributeType.STRING },
          projectionType: dynamodb.ProjectionType.ALL,
        },
      ],
    });

    // Server access logs need SSE-S3 (log delivery cannot use a KMS key) and a bucket policy for the logging service.
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    });

    this.outputsBucket = new s3.Bucket(this, 'Outputs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'outputs/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        // The archive handler streams with multipart uploads; a crashed one must not leave parts behind forever.
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        { id: 'expire-replaced-versions', noncurrentVersionExpiration: Duration.days(30) },
      ],
    });
  }

  /** ARN of one of the Jobs table's indexes, for a policy that may query exactly that index. */
  jobsIndexArn(indexName: keyof typeof JOBS_INDEXES): string {
    return `${this.jobsTable.tableArn}/index/${JOBS_INDEXES[indexName]}`;
  }

  /** ARN pattern of the objects the workflow archives (`jobs/<jobId>/...`). */
  get outputsObjectsArn(): string {
    return this.outputsBucket.arnForObjects(`${OUTPUTS_KEY_PREFIX}*`);
  }
}

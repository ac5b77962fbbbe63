// Where klingflow keeps state: the Jobs table, the bucket archived videos land in, and the inputs bucket whose
// uploads/ start image-to-video jobs.
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { CfnResource } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';
import { IMAGE_SUFFIX_FILTERS, UPLOAD_PREFIX } from '../lambdas/domain/uploads.ts';

/** Names of the Jobs table's global secondary indexes (the api handler queries them). */
export const JOBS_INDEXES = {
  /** Jobs of one status, newest first: pk `status`, sk `createdAt`. */
  byStatus: 'byStatus',
  /** All jobs, newest first: pk `kind` (a constant per item type), sk `createdAt`. */
  byCreatedAt: 'byCreatedAt',
  /** One owner's jobs, newest first: pk `owner`, sk `createdAt` (`GET /v1/jobs` of a caller who is not an admin). */
  byOwner: 'byOwner',
} as const;

/** Key prefix of everything the archive handler writes into the outputs bucket. */
export const OUTPUTS_KEY_PREFIX = 'jobs/';

/**
 * Construct id of the Lambda that CDK adds once per stack to put a bucket's event notifications
 * (aws-s3 NotificationsResourceHandler; the id is fixed, changing it would replace the function).
 */
export const BUCKET_NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

/**
 * Metadata key naming what a DynamoDB table is for (`jobs` or `admission`), read by the local stack, which creates
 * the same tables on its emulator from the synthesized template.
 */
export const TABLE_ROLE_METADATA_KEY = 'klingflow:table';

export class Storage extends Construct {
  readonly jobsTable: dynamodb.TableV2;
  /**
   * Admission control: one partition per pool of provider slots (`pool`), one item per slot and per waiting job
   * (`entry`: `slot#NNN` or `wait#<createdAt>#<jobId>`). Read with consistent queries of the base table.
   */
  readonly admissionTable: dynamodb.TableV2;
  /**
   * The spend guard's counters (lambdas/aws/spend-store.ts): one item per period (`period`: `day#YYYY-MM-DD`,
   * `month#YYYY-MM`) and scope (`scope`: `total` or a provider id), changed only by conditional `ADD`s.
   */
  readonly spendTable: dynamodb.TableV2;
  readonly outputsBucket: s3.Bucket;
  readonly inputsBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  /** Role of CDK's bucket-notifications Lambda: its own log group and s3:PutBucketNotification on the inputs bucket. */
  readonly notificationsHandlerRole: iam.Role;
  readonly notificationsHandlerLogs: logs.LogGroup;

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
        {
          indexName: JOBS_INDEXES.byOwner,
          partitionKey: { name: 'owner', type: dynamodb.AttributeType.STRING },
          sortKey: { name: 'createdAt', type: dynamodb.AttributeType.STRING },
          projectionType: dynamodb.ProjectionType.ALL,
        },
      ],
    });

    (this.jobsTable.node.defaultChild as dynamodb.CfnGlobalTable).addMetadata(TABLE_ROLE_METADATA_KEY, 'jobs');

    this.admissionTable = new dynamodb.TableV2(this, 'Admission', {
      partitionKey: { name: 'pool', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'entry', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Holds only leases and queue entries, which every job re-creates: nothing to keep when the stack goes.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    (this.admissionTable.node.defaultChild as dynamodb.CfnGlobalTable).addMetadata(TABLE_ROLE_METADATA_KEY, 'admission');

    this.spendTable = new dynamodb.TableV2(this, 'Spend', {
      partitionKey: { name: 'period', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'scope', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Counters of the current day and month only: a new stack starts counting afresh.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    (this.spendTable.node.defaultChild as dynamodb.CfnGlobalTable).addMetadata(TABLE_ROLE_METADATA_KEY, 'spend');

    // Server access logs need SSE-S3 (log delivery cannot use a KMS key) and a bucket policy for the logging service.
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    });

    // The archive handler streams with multipart uploads; a crashed one must not leave parts behind forever.
    this.outputsBucket = this.dataBucket('Outputs', 'outputs/');

    // The event notifications of the inputs bucket are put by a Lambda that CDK adds (a CloudFormation bucket
    // cannot name a function that itself names the bucket). Its role is ours: without the AWS-managed basic
    // execution policy CDK would attach, writing only to its own log group; CDK adds s3:PutBucketNotification on
    // the inputs bucket in a separate policy.
    this.notificationsHandlerLogs = new logs.LogGroup(this, 'BucketNotificationsLogs', { retention: logs.RetentionDays.ONE_MONTH });
    this.notificationsHandlerRole = new NotificationsHandlerRole(this, 'BucketNotificationsRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'klingflow: puts the event notifications of the inputs bucket (CDK bucket-notifications handler)',
    });
    this.notificationsHandlerRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.notificationsHandlerLogs.logGroupArn],
      }),
    );

    // Images put under uploads/ start jobs (lambdas/handlers/s3-upload.ts). Versioned: a job's id is derived from
    // the object's version id, so every upload (also of the same key) is one job, however often S3 reports it.
    // A job reads its image version within its execution (26 h at most); replaced versions can go after that.
    this.inputsBucket = this.dataBucket('Inputs', 'inputs/', { notificationsHandlerRole: this.notificationsHandlerRole });
  }

  /**
   * A bucket for klingflow's data: private, encrypted, TLS only, versioned, access-logged, kept when the stack
   * goes; unfinished multipart uploads are aborted after 7 days and replaced versions expire after 30.
   */
  private dataBucket(id: string, accessLogsPrefix: string, extra: Partial<s3.BucketProps> = {}): s3.Bucket {
    return new s3.Bucket(this, id, {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: accessLogsPrefix,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        { id: 'expire-replaced-versions', noncurrentVersionExpiration: Duration.days(30) },
      ],
      ...extra,
    });
  }

  /**
   * Sends every object created under uploads/ with an image suffix to `handler`: one notification per suffix
   * (S3 suffix filters are case-sensitive, IMAGE_SUFFIX_FILTERS has each in lower and upper case), for all
   * s3:ObjectCreated:* events (Put, Post, Copy and CompleteMultipartUpload).
   */
  startJobsOnUploads(handler: IFunction): void {
    const destination = new s3n.LambdaDestination(handler);
    for (const suffix of IMAGE_SUFFIX_FILTERS) {
      this.inputsBucket.addEventNotification(s3.EventType.OBJECT_CREATED, destination, { prefix: UPLOAD_PREFIX, suffix });
    }

    // The handler exists now: it logs to our log group.
    const notificationsHandler = Stack.of(this).node.tryFindChild(BUCKET_NOTIFICATIONS_HANDLER_ID);
    const handlerFunction = notificationsHandler?.node.tryFindChild('Resource') as CfnResource | undefined;
    if (handlerFunction?.cfnResourceType !== 'AWS::Lambda::Function') {
      throw new Error(`Storage: CDK's bucket-notifications handler (${BUCKET_NOTIFICATIONS_HANDLER_ID}) was not found`);
    }
    handlerFunction.addPropertyOverride('LoggingConfig', { LogGroup: this.notificationsHandlerLogs.logGroupName });
  }

  /** ARN pattern of the uploaded objects (`uploads/...`) of the inputs bucket. */
  get uploadsObjectsArn(): string {
    return this.inputsBucket.arnForObjects(`${UPLOAD_PREFIX}*`);
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

/**
 * The bucket-notifications handler's role. CDK attaches the AWS-managed AWSLambdaBasicExecutionRole (logs:* on every
 * log group) to whatever role the handler gets; this role declines it, having its own-log-group statement instead,
 * and refuses any other managed policy.
 */
class NotificationsHandlerRole extends iam.Role {
  override addManagedPolicy(policy: iam.IManagedPolicy): void {
    const arn = JSON.stringify(Stack.of(this).resolve(policy.managedPolicyArn));
    if (arn.includes(':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')) return;
    throw new Error(`${this.node.path}: takes no managed policies (got ${arn})`);
  }
}

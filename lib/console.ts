// The web console on AWS (docs/api.md, "Web console"): its static files in a private bucket, served by CloudFront
// through an origin access control, with security headers; the page talks to the HTTP API (its URL in
// console/config.json), sending the JWT the person pastes into it. Deployed only with auth=jwt: a browser holds a
// bearer token, it cannot sign SigV4 requests (lib/config.ts refuses `console` with auth=iam).
import { Aws, Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { buildConsole, consoleConfig } from '../console/build.ts';

export interface WebConsoleProps {
  /** The HTTP API's base URL (a deploy-time value), written into console/config.json. */
  apiUrl: string;
  /** Where the buckets' server access logs go. */
  accessLogsBucket: s3.IBucket;
}

/**
 * What the page may load: its own files, AWS hosts (the API's execute-api endpoint, uploads to and previews from S3
 * by presigned URL, whose host depends on the region's endpoint style), and images the person picks (blob:). The
 * API is not named exactly: its CORS names the distribution, so the distribution's headers cannot name the API
 * (CloudFormation would see a cycle).
 */
export function consoleCsp(): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self' https://*.amazonaws.com",
    "img-src 'self' data: blob: https://*.amazonaws.com",
    "media-src 'self' https://*.amazonaws.com",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

export class WebConsole extends Construct {
  readonly bucket: s3.Bucket;
  readonly logsBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly deployment: s3deploy.BucketDeployment;
  /** Role of the function that copies the files into the bucket (CDK's BucketDeployment handler). */
  readonly deploymentRole: iam.Role;

  constructor(scope: Construct, id: string, props: WebConsoleProps) {
    super(scope, id);

    // Built from source at synthesis, replaced on every deploy: nothing in it is data, so it goes with the stack.
    this.bucket = new s3.Bucket(this, 'Site', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'console/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // CloudFront's standard logs are written with ACLs, so this bucket (unlike the others) lets the writer own them.
    this.logsBucket = new s3.Bucket(this, 'CdnLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'console-cdn-logs/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-cdn-logs', expiration: Duration.days(365) }],
    });

    // CloudFront names policies and origin access controls account-wide (every region): each name is made from the
    // stack's name and region, so a second stack, or this one in another region, never collides with it.
    const accountWideName = (what: string) => Fn.join('-', [Aws.STACK_NAME, Aws.REGION, what]);
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      responseHeadersPolicyName: accountWideName('console-headers'),
      comment: 'klingflow console: CSP and security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: consoleCsp(), override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'klingflow web console',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket, {
          originAccessControl: new cloudfront.S3OriginAccessControl(this, 'OriginAccessControl', {
            originAccessControlName: accountWideName('console-oac'),
          }),
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logsBucket,
      logFilePrefix: 'cloudfront/',
    });

    // The deployment function's own role and log group, instead of CDK's with the AWS-managed basic execution policy.
    const deploymentLogs = new logs.LogGroup(this, 'DeploymentLogs', { retention: logs.RetentionDays.ONE_MONTH });
    this.deploymentRole = new iam.Role(this, 'DeploymentRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'klingflow: copies the web console files into their bucket and invalidates the distribution',
    });
    this.deploymentRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [deploymentLogs.logGroupArn],
      }),
    );

    const files = buildConsole().map((file) => s3deploy.Source.data(file.path, file.body.toString('utf8')));
    this.deployment = new s3deploy.BucketDeployment(this, 'Files', {
      sources: [...files, s3deploy.Source.jsonData(consoleConfig('').path, { apiUrl: props.apiUrl })],
      destinationBucket: this.bucket,
      // Small files, revalidated on each load (CloudFront and browsers keep them by ETag); a deploy invalidates all.
      cacheControl: [s3deploy.CacheControl.noCache()],
      prune: true,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      role: this.deploymentRole,
      logGroup: deploymentLogs,
      memoryLimit: 256,
    });
  }

  /**
   * Lets the page PUT images into `bucket` with the presigned URLs of `POST /v1/uploads` (the URL is the credential;
   * CORS only lets this origin's page send it).
   */
  allowUploadsTo(bucket: s3.Bucket): void {
    bucket.addCorsRule({
      allowedOrigins: [this.origin],
      allowedMethods: [s3.HttpMethods.PUT],
      allowedHeaders: ['content-type'],
      exposedHeaders: ['ETag'],
      maxAge: 600,
    });
  }

  /** The console's origin (`https://<id>.cloudfront.net`), for the API's CORS. */
  get origin(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }

  get url(): string {
    return `${this.origin}/`;
  }
}

// The web console on AWS (lib/console.ts): deployed with JWT auth only, its files in a private bucket that only
// the distribution (through its origin access control) reads, served over HTTPS with a CSP that names the API,
// copied by CDK's BucketDeployment with a role of its own, and the config pointing the page at the API.
import type { Node } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildConsole } from '../../console/build.ts';
import { readKlingflowConfig } from '../../lib/config.ts';
import { synthesizeTemplate } from '../../lib/synth.ts';
import { asArray, type CfnTemplate, onlyResourceOfType, render, resourcesOfType } from './template-queries.ts';

const JWT = { auth: 'jwt', jwtIssuer: 'https://issuer.example.com/', jwtAudience: 'klingflow-console' };
const configFrom = (context: Record<string, unknown>) =>
  readKlingflowConfig({ tryGetContext: (key: string) => context[key] } as unknown as Node);

const jwtTemplate: CfnTemplate = synthesizeTemplate({ context: JWT });

describe('web console: when it is deployed', () => {
  it('is deployed by default with JWT auth, and can be left out', () => {
    expect(configFrom(JWT).console).toBe(true);
    expect(configFrom({ ...JWT, console: 'false' }).console).toBe(false);
    expect(configFrom({}).console).toBe(false);
    expect(jwtTemplate.Outputs.ConsoleUrl).toBeDefined();
  });

  it('is refused with IAM auth, saying why (a browser cannot sign SigV4 requests)', () => {
    expect(() => configFrom({ console: true })).toThrow(/console needs auth=jwt.*SigV4/);
    expect(() => configFrom({ console: 'true', auth: 'iam' })).toThrow(/local stack/);
    expect(() => configFrom({ ...JWT, console: 'yes' })).toThrow(/Context console: expected true or false/);
  });

  it('adds nothing to an IAM deployment (the default)', () => {
    const template = synthesizeTemplate();
    expect(resourcesOfType(template, 'AWS::CloudFront::Distribution')).toEqual([]);
    expect(resourcesOfType(template, 'Custom::CDKBucketDeployment')).toEqual([]);
    expect(template.Outputs.ConsoleUrl).toBeUndefined();
  });
});

describe('web console: on AWS', () => {
  const [distributionId, distribution] = onlyResourceOfType(jwtTemplate, 'AWS::CloudFront::Distribution');
  const config = distribution.Properties!.DistributionConfig;
  const siteId = render(config.Origins[0].DomainName).replace(/^<(.+)\.RegionalDomainName>$/, '$1');

  it('keeps the files in a private, encrypted, TLS-only bucket that only this distribution reads', () => {
    const site = jwtTemplate.Resources[siteId];
    expect(site.Type).toBe('AWS::S3::Bucket');
    expect(site.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(site.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(site.Properties.LoggingConfiguration.LogFilePrefix).toBe('console/');

    const [, policy] = resourcesOfType(jwtTemplate, 'AWS::S3::BucketPolicy').find(
      ([, p]) => render(p.Properties!.Bucket) === `<${siteId}>`,
    )!;
    const statements = policy.Properties!.PolicyDocument.Statement as any[];
    expect(statements.find((s) => s.Effect === 'Deny')).toMatchObject({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({ Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject' });
    expect(JSON.stringify(allows[0].Condition.StringEquals['AWS:SourceArn'])).toContain(distributionId);
  });

  it('serves over HTTPS only, through an origin access control, with the page at /', () => {
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.DefaultCacheBehavior.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(config.Origins[0].OriginAccessControlId).toBeDefined();
    expect(config.Origins[0].S3OriginConfig.OriginAccessIdentity).toBe('');
    const [, oac] = onlyResourceOfType(jwtTemplate, 'AWS::CloudFront::OriginAccessControl');
    expect(oac.Properties!.OriginAccessControlConfig).toMatchObject({
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
      OriginAccessControlOriginType: 's3',
    });
    expect(config.Logging.Bucket).toBeDefined();
  });

  it("sends a CSP that lets the page reach the API and S3, and is allowed by the API's CORS", () => {
    const [, headers] = onlyResourceOfType(jwtTemplate, 'AWS::CloudFront::ResponseHeadersPolicy');
    const security = headers.Properties!.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = render(security.ContentSecurityPolicy.ContentSecurityPolicy);
    const [apiId] = onlyResourceOfType(jwtTemplate, 'AWS::ApiGatewayV2::Api');
    expect(csp).toContain("connect-src 'self' https://*.amazonaws.com"); // the API's execute-api host, and S3
    // The API's CORS names the console's origin (so the CSP cannot name the API: that would be a cycle).
    const [, api] = onlyResourceOfType(jwtTemplate, 'AWS::ApiGatewayV2::Api');
    expect(JSON.stringify(api.Properties!.CorsConfiguration.AllowOrigins)).toContain(distributionId);
    expect(apiId).toBeDefined();
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(security.FrameOptions.FrameOption).toBe('DENY');
    expect(security.StrictTransportSecurity.AccessControlMaxAgeSec).toBe(365 * 24 * 3600);
  });

  it('copies the built files and a config naming the API, then invalidates the distribution', () => {
    const [, deployment] = onlyResourceOfType(jwtTemplate, 'Custom::CDKBucketDeployment');
    const props = deployment.Properties!;
    expect(render(props.DestinationBucketName)).toBe(`<${siteId}>`);
    expect(render(props.DistributionId)).toBe(`<${distributionId}>`);
    expect(props.DistributionPaths).toEqual(['/*']);
    expect(props.Prune).toBe(true);
    expect(asArray(props.SourceObjectKeys)).toHaveLength(buildConsole().length + 1);
    // The config is filled in at deploy time from the API's endpoint.
    const [apiId] = onlyResourceOfType(jwtTemplate, 'AWS::ApiGatewayV2::Api');
    expect(JSON.stringify(props.SourceMarkers)).toContain(apiId);
    expect(jwtTemplate.Outputs.ConsoleUrl.Value).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }, '/']],
    });
  });

  it('runs the copy with a role of its own: its log group, no AWS-managed policy', () => {
    const [, fn] = resourcesOfType(jwtTemplate, 'AWS::Lambda::Function').find(([id]) => id.startsWith('CustomCDKBucketDeployment'))!;
    const roleId = render(fn.Properties!.Role).replace(/^<(.+)\.Arn>$/, '$1');
    const role = jwtTemplate.Resources[roleId];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(render(fn.Properties!.LoggingConfig.LogGroup)).toMatch(/^<ConsoleDeploymentLogs/);
  });
});

describe('web console: the built files', () => {
  it('are the page, one script and one stylesheet, with the page loading only those', () => {
    const files = buildConsole();
    expect(files.map((f) => f.path)).toEqual(['index.html', 'console/app.js', 'console/app.css']);
    const page = files[0]!.body.toString('utf8');
    expect(page).toContain('src="console/app.js"');
    expect(page).toContain('href="console/app.css"');
    expect(page).not.toMatch(/<script(?![^>]*src=)/); // no inline script: the CSP allows none
    expect(files[1]!.body.length).toBeLessThan(40_000);
  });
});

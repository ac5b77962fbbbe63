// One synthesis with real esbuild bundling (the other CDK tests skip it): every function's bundle exists, is
// small, carries none of what it never runs, and loads as a standalone CommonJS module exporting `handler`, as the
// Node.js 24 Lambda runtime requires it.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire, isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HANDLERS } from '../../lambdas/workflow/contract.ts';
import { AWS_LITE_VENDORED, externalModulesOf, SNS_HANDLERS } from '../../lib/functions.ts';
import { createKlingflowApp } from '../../lib/synth.ts';

// Was 3 MB (bundles of 1.8 MB), then 1 MB, then 850 KB, then 650 KB, then 300 KB for all but `api` (350 KB). Now
// the goal of issue 8 for every bundle. The measured sizes are in README.md ("Figures"), from `npm run bench`.
const MAX_BUNDLE_BYTES = 300 * 1024;

const requireBundle = createRequire(import.meta.url);

/** A fresh instance of the bundle in `file` (dropped from the module cache first), as a cold start loads it. */
function loadCold(file: string): { handler?: unknown } {
  delete requireBundle.cache[file];
  return requireBundle(file) as { handler?: unknown };
}

let outdir: string;
let bundles: Map<string, string>;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'klingflow-bundle-'));
  const { app, stack } = createKlingflowApp({ outdir, bundle: true });
  type Fn = { Type: string; Metadata?: Record<string, string>; Properties: { Code: { S3Key: string } } };
  const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, Fn> };
  // Each function's code is staged in <outdir>/asset.<hash>, the hash being its S3 key without `.zip`.
  bundles = new Map(
    Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['klingflow:handler'])
      .map((r) => [r.Metadata!['klingflow:handler']!, join(outdir, `asset.${r.Properties.Code.S3Key.replace(/\.zip$/, '')}`, 'index.js')]),
  );
  // Bundling 17 functions with esbuild takes 30–60 s on an idle 2-core machine and over 150 s on a busy one.
}, 400_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

it('bundles every handler', () => {
  expect([...bundles.keys()].sort()).toEqual([...HANDLERS].sort());
});

it.each([...HANDLERS])('%s: the bundle is small and loads, exporting handler', (name) => {
  const file = bundles.get(name)!;
  expect(existsSync(file), file).toBe(true);
  expect(statSync(file).size).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
  expect(readFileSync(file, 'utf8')).not.toMatch(/^\s*(import|export)\s/m);
  expect(typeof loadCold(file).handler).toBe('function');
});

it.each([...HANDLERS])(
  '%s: the bundle carries neither the default credential chain, the X-Ray SDK, zod locales nor charset tables',
  (name) => {
    const source = readFileSync(bundles.get(name)!, 'utf8');
    // Operation and endpoint names of the STS and SSO-OIDC clients, which come only with the default chain.
    expect(source).not.toMatch(/AssumeRoleWithWebIdentity|sso-oauth/);
    // aws-xray-sdk-core's setting, read by it alone: traces come from Lambda's active tracing (docs/architecture.md).
    expect(source).not.toContain('AWS_XRAY_CONTEXT_MISSING');
    // Zod's Dutch locale, one of the ~40 that `import { z } from 'zod'` pulls in.
    expect(source).not.toContain('Ongeldige invoer');
    // iconv-lite, which libmime brought along.
    expect(source).not.toContain('iconv');
  },
);

it.each([...HANDLERS])('%s: the bundle carries no adapter of a provider the deployment does not enable (default: kling)', (name) => {
  const source = readFileSync(bundles.get(name)!, 'utf8');
  // fal's endpoints and Replicate's model owner appear in their adapters' modules only.
  expect(source).not.toContain('fal-ai/');
  expect(source).not.toContain('kwaivgi/');
});

it.each([...HANDLERS])(
  "%s: the bundle requires nothing outside itself but Node.js's built-ins and the aws-lite modules it leaves out",
  (name) => {
    const source = readFileSync(bundles.get(name)!, 'utf8');
    const required = new Set([...source.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1]!));
    const outside = [...required].filter((module) => !isBuiltin(module));
    expect(outside.sort()).toEqual([...externalModulesOf(name)].sort());
    // Only SNS's callers need aws-lite's XML parser, and they keep it: the SNS client names its API version.
    expect(source.includes('2010-03-31')).toBe(SNS_HANDLERS.includes(name));
    expect(required.has(AWS_LITE_VENDORED.xmlParser)).toBe(!SNS_HANDLERS.includes(name));
  },
);

it('signs AWS requests with the credentials in the environment, as a Lambda function has them', async () => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(String(req.headers.authorization ?? ''));
    req.resume();
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', message: 'no such table' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const saved = { ...process.env };
  try {
    delete process.env.AWS_PROFILE;
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDBUNDLEDENV',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'session',
      AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      KLINGFLOW_JOBS_TABLE: 'jobs',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    // A fresh instance of the module, made under this environment, as a cold start is.
    const { handler } = loadCold(bundles.get('await-result')!) as { handler: (event: unknown) => Promise<unknown> };
    await expect(handler({ jobId: 'job_bundled', taskToken: 'token' })).rejects.toThrow('no such table');
    expect(seen).toEqual([expect.stringContaining('Credential=AKIDBUNDLEDENV/')]);
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    server.close();
  }
});

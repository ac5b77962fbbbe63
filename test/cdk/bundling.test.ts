// One synthesis with real esbuild bundling (the other CDK tests skip it): every function's bundle exists, is
// small, carries none of what it never runs, and loads as standalone ESM exporting `handler`, as the Node.js 24
// Lambda runtime will load it.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HANDLERS } from '../../lambdas/workflow/contract.ts';
import { createKlingflowApp } from '../../lib/synth.ts';

// Was 3 MB (bundles of 1.8 MB). The goal is 300 KB; what is left above it is the AWS SDK's shared core (~145 KB)
// plus zod's classic API (~100 KB) in every bundle, and the S3 client (~130 KB) where a handler uses S3. The
// measured sizes are in README.md ("Figures"), from `npm run bench`.
const MAX_BUNDLE_BYTES = 720 * 1024;

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
      .map((r) => [r.Metadata!['klingflow:handler']!, join(outdir, `asset.${r.Properties.Code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs')]),
  );
}, 120_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

it('bundles every handler', () => {
  expect([...bundles.keys()].sort()).toEqual([...HANDLERS].sort());
});

it.each([...HANDLERS])('%s: the bundle is small and loads, exporting handler', async (name) => {
  const file = bundles.get(name)!;
  expect(existsSync(file), file).toBe(true);
  expect(statSync(file).size).toBeLessThan(MAX_BUNDLE_BYTES);
  const module = (await import(pathToFileURL(file).href)) as { handler?: unknown };
  expect(typeof module.handler).toBe('function');
});

it.each([...HANDLERS])('%s: the bundle carries neither the default credential chain, zod locales nor charset tables', (name) => {
  const source = readFileSync(bundles.get(name)!, 'utf8');
  // Class names survive minification (keepNames): the STS and SSO-OIDC clients come only with the default chain.
  expect(source).not.toMatch(/\b(STSClient|SSOOIDCClient)\b/);
  // Zod's Dutch locale, one of the ~40 that `import { z } from 'zod'` pulls in.
  expect(source).not.toContain('Ongeldige invoer');
  // iconv-lite, which libmime brought along.
  expect(source).not.toContain('iconv');
});

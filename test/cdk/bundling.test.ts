// One synthesis with real esbuild bundling (the other CDK tests skip it): every function's bundle exists, is
// small, and loads as standalone ESM exporting `handler`, as the Node.js 24 Lambda runtime will load it.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HANDLERS } from '../../lambdas/workflow/contract.ts';
import { createKlingflowApp } from '../../lib/synth.ts';

const MAX_BUNDLE_BYTES = 3 * 1024 * 1024;

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
  // Bundling 17 functions with esbuild takes 30–60 s on an idle 2-core machine and over 150 s on a busy one.
}, 400_000);

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

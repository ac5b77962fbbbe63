// A handler bundle carries the adapters of the providers its deployment enables, and only those: built with the
// handlers' esbuild settings (handlerBuildOptions, lib/functions.ts) for a deployment, then required and asked for
// adapters, as the Lambda runtime would run it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { adapterDefines, handlerBuildOptions, PROJECT_ROOT } from '../../../lib/functions.ts';
import { PROVIDER_IDS } from '../../../lambdas/providers/ids.ts';

const dir = mkdtempSync(join(tmpdir(), 'klingflow-registry-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Loads every provider's adapter and reports, per id, its id or why it did not load.
const ENTRY = `
import { loadAdapter } from ${JSON.stringify(join(PROJECT_ROOT, 'lambdas', 'providers', 'registry.ts'))};
import { PROVIDER_IDS } from ${JSON.stringify(join(PROJECT_ROOT, 'lambdas', 'providers', 'ids.ts'))};
export const handler = async () =>
  Object.fromEntries(
    await Promise.all(
      PROVIDER_IDS.map(async (id) => [id, await loadAdapter(id).then((a) => a.id, (e) => (e as Error).message)]),
    ),
  );
`;

/** Builds the entry for a deployment that enables `enabled` (every provider when undefined); its text and handler. */
async function bundleFor(name: string, enabled?: readonly string[]) {
  const entry = join(dir, `${name}.ts`);
  writeFileSync(entry, ENTRY);
  const outfile = join(dir, name, 'index.js');
  const result = await build({ ...handlerBuildOptions(entry, outfile, enabled), logLevel: 'silent' });
  expect(result.warnings).toEqual([]);
  const { handler } = createRequire(import.meta.url)(outfile) as { handler: () => Promise<Record<string, string>> };
  return { text: readFileSync(outfile, 'utf8'), handler };
}

describe('adapters in a handler bundle', () => {
  it('a deployment that enables kling bundles the kling adapter alone; another provider is refused by name', async () => {
    const { text, handler } = await bundleFor('kling-only', ['kling']);
    // fal's endpoints and Replicate's model owner appear in their adapters' modules only.
    expect(text).not.toContain('fal-ai/');
    expect(text).not.toContain('kwaivgi/');
    const loaded = await handler();
    expect(loaded.kling).toBe('kling');
    for (const id of PROVIDER_IDS.filter((p) => p !== 'kling')) {
      expect(loaded[id]).toBe(`provider '${id}' is not in this function's bundle: the deployment's enabledProviders leave it out`);
    }
  }, 60_000);

  it('a deployment that enables fal and replicate bundles those two', async () => {
    const { text, handler } = await bundleFor('two', ['fal', 'replicate']);
    expect(text).toContain('fal-ai/');
    expect(text).toContain('kwaivgi/');
    const loaded = await handler();
    expect([loaded.fal, loaded.replicate]).toEqual(['fal', 'replicate']);
    expect(loaded.kling).toMatch(/^provider 'kling' is not in this function's bundle/);
  }, 60_000);

  it('with every provider enabled (the default of handlerBuildOptions), every adapter loads', async () => {
    const { handler } = await bundleFor('all');
    expect(await handler()).toEqual(Object.fromEntries(PROVIDER_IDS.map((id) => [id, id])));
  }, 60_000);

  it('defines one variable per provider, "true" exactly for those left out', () => {
    expect(adapterDefines(['kling', 'fal'])).toEqual({
      'process.env.KLINGFLOW_OMIT_ADAPTER_KLING': '"false"',
      'process.env.KLINGFLOW_OMIT_ADAPTER_KLING_V3_REST': '"true"',
      'process.env.KLINGFLOW_OMIT_ADAPTER_KLING_AI': '"true"',
      'process.env.KLINGFLOW_OMIT_ADAPTER_KLINGGENERATOR': '"true"',
      'process.env.KLINGFLOW_OMIT_ADAPTER_KLING3API': '"true"',
      'process.env.KLINGFLOW_OMIT_ADAPTER_FAL': '"false"',
      'process.env.KLINGFLOW_OMIT_ADAPTER_REPLICATE': '"true"',
    });
  });
});

// Each handler's bundle as the CDK app builds it (esbuild with HANDLER_BUNDLING's settings, handlerBuildOptions) for
// the default deployment (cdk.json's context as shipped: the kling adapter alone), its minified size, and the median
// time a fresh Node.js process takes to require it, as the Lambda runtime loads a CommonJS handler (module load and
// top-level code, no handler call): what a cold start pays before the first event. Also each bundle's size for a
// deployment that enables all seven providers (their adapters all bundled).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { median } from 'simple-statistics';
import { CONTEXT_DEFAULTS } from '../lib/config.ts';
import { externalModulesOf, HANDLER_ENVIRONMENT, handlerBuildOptions, handlerEntry } from '../lib/functions.ts';
import { PROVIDER_IDS } from '../lambdas/providers/ids.ts';
import { HANDLERS, type HandlerName } from '../lambdas/workflow/contract.ts';

export interface BundleFigure {
  handler: string;
  /** Bytes of the bundle for the default deployment (kling). */
  bytes: number;
  /** Bytes of the bundle for a deployment that enables every provider (absent from runs before it was measured). */
  bytesAllProviders?: number;
  coldLoadMs: { median: number; samples: number };
}

/**
 * Milliseconds a fresh process, started with a handler function's environment (its NODE_OPTIONS too) and nothing of
 * the bench's own (such as the malloc settings `npm run bench` runs the local stack with), takes to require `file`,
 * measured inside it (process start-up is not counted).
 */
function loadMs(file: string): number {
  const script = `const t = performance.now(); require(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  return Number(
    execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH, ...HANDLER_ENVIRONMENT } }),
  );
}

/** Builds and loads each of `handlers` (default: every handler) `loads` times. */
export async function bundles(options: { loads: number; handlers?: readonly HandlerName[] }): Promise<BundleFigure[]> {
  const outdir = mkdtempSync(join(tmpdir(), 'klingflow-bench-bundles-'));
  try {
    const figures: BundleFigure[] = [];
    for (const handler of options.handlers ?? HANDLERS) {
      const outfile = join(outdir, handler, 'index.js');
      await build({
        ...handlerBuildOptions(handlerEntry(handler), outfile, CONTEXT_DEFAULTS.enabledProviders, externalModulesOf(handler)),
        logLevel: 'warning',
      });
      const everyProvider = join(outdir, handler, 'all-providers.js');
      await build({
        ...handlerBuildOptions(handlerEntry(handler), everyProvider, PROVIDER_IDS, externalModulesOf(handler)),
        logLevel: 'warning',
      });
      const samples = Array.from({ length: options.loads }, () => loadMs(outfile));
      figures.push({
        handler,
        bytes: statSync(outfile).size,
        bytesAllProviders: statSync(everyProvider).size,
        coldLoadMs: { median: Math.round(median(samples) * 10) / 10, samples: samples.length },
      });
    }
    return figures;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

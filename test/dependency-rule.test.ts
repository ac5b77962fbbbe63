// The dependency rule (docs/architecture.md, "Dependency rule"), as dependency-cruiser checks it in `npm test`:
// every rule catches its deliberate break in a miniature tree, and the real tree breaks none.
import { createRequire } from 'node:module';
import path from 'node:path';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const config = createRequire(import.meta.url)(path.join(ROOT, '.dependency-cruiser.cjs')) as IConfiguration;

async function violationsIn(baseDir: string, targets: string[]): Promise<{ rule: string; from: string; to: string }[]> {
  const result = await cruise(targets, { ...config.options, baseDir, validate: true, ruleSet: { forbidden: config.forbidden } });
  const output = result.output as ICruiseResult;
  return output.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

describe('dependency rule', () => {
  it('catches every deliberate break in the miniature tree, and only those', async () => {
    const fixture = path.join(ROOT, 'test/fixtures/dependency-rule');
    const found = await violationsIn(fixture, ['lambdas', 'lib', 'simulator', 'console']);
    const rules = (from: string) =>
      found
        .filter((v) => v.from === from)
        .map((v) => v.rule)
        .sort();
    expect(rules('lambdas/domain/imports-aws-sdk.ts')).toEqual(['aws-sdk-only-in-handlers-and-aws']);
    expect(rules('lambdas/jobs/imports-aws-lite.ts')).toEqual(['aws-sdk-only-in-handlers-and-aws']);
    expect(rules('lambdas/aws/imports-the-s3-sdk.ts')).toEqual(['no-aws-sdk-s3-in-lambdas']);
    expect(rules('lambdas/domain/imports-a-provider.ts')).toEqual(['domain-is-self-contained']);
    expect(rules('lambdas/providers/imports-aws.ts')).toEqual(['providers-read-only-the-domain']);
    expect(rules('lambdas/jobs/imports-aws.ts')).toEqual(['use-cases-depend-on-ports']);
    expect(rules('lambdas/aws/imports-a-handler.ts')).toEqual(['aws-does-not-import-handlers-or-http', 'nothing-imports-a-handler']);
    expect(rules('lib/imports-an-adapter.ts')).toEqual(['stack-and-local-read-contracts-only']);
    expect(rules('simulator/imports-lambdas.ts')).toEqual(['simulator-stands-apart']);
    expect(rules('lambdas/http/imports-a-use-case.ts')).toEqual(['http-reads-contracts-only']);
    expect(rules('lambdas/workflow/imports-a-provider.ts')).toEqual(['workflow-contract-reads-only-the-domain']);
    expect(rules('lambdas/aws/cycle-a.ts')).toEqual(['no-circular']);
    expect(rules('lambdas/providers/imports-classic-zod.ts')).toEqual(['lambdas-use-zod-mini-through-domain-zod']);
    // lambdas/domain/zod.ts may import zod/mini and the English locale, and nothing else of zod (here: every locale).
    expect(rules('lambdas/domain/zod.ts')).toEqual(['domain-zod-is-mini-and-english']);
    expect(found.filter((v) => v.from === 'lambdas/domain/zod.ts').map((v) => v.to)).toEqual([
      expect.stringMatching(/(^|\/)node_modules\/zod\/v4\/locales\/index\.c?js$/),
    ]);
    expect(rules('console/src/imports-the-domain.ts')).toEqual(['console-speaks-http-only']);
    // A contract is fine to import, so the rules do not forbid everything.
    expect(rules('lib/imports-a-contract.ts')).toEqual([]);
    expect(new Set(found.map((v) => v.rule))).toEqual(new Set(config.forbidden!.map((rule) => rule.name)));
  });

  it('holds for the product code', async () => {
    expect(await violationsIn(ROOT, ['lambdas', 'lib', 'local', 'cli', 'simulator', 'bin', 'console'])).toEqual([]);
  });

  it('sees the packages the product imports (an excluded node_modules would hide every @aws-sdk import)', async () => {
    const result = await cruise(['lambdas/aws/clients/dynamo.ts'], { ...config.options, baseDir: ROOT, validate: false });
    const clients = (result.output as ICruiseResult).modules.find((m) => m.source === 'lambdas/aws/clients/dynamo.ts');
    expect(clients?.dependencies.map((d) => d.resolved)).toEqual(
      // `node_modules/…`, or `../<checkout>/node_modules/…` where node_modules is a symlink to another checkout's.
      expect.arrayContaining([expect.stringMatching(/^(\.\.\/[^/]+\/)?node_modules\/@aws-sdk\/util-dynamodb\//)]),
    );
  });
});

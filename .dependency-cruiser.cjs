// The dependency rule (docs/architecture.md, "Dependency rule"), checked by `npm test` (`npm run deps`).
// Paths are relative to the repository root. Tests may import anything; the rules are about the product code.
/**
 * Contracts that lib/, local/ and cli/ may read from lambdas/: no handler, use case, adapter or AWS client. The HTTP
 * contract is the route table, the CORS policy and the API's schemas (the typed client in cli/ takes its types there).
 */
const CONTRACTS = '^lambdas/(domain/|workflow/|http/(routes|cors|schemas)\\.ts$|aws/env\\.ts$|providers/ids\\.ts$)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'aws-sdk-only-in-handlers-and-aws',
      comment:
        'Only lambdas/handlers/ and lambdas/aws/ talk to AWS (the AWS SDK or aws-lite); everything else takes its clients as parameters.',
      severity: 'error',
      from: { path: '^lambdas/', pathNot: '^lambdas/(handlers|aws)/' },
      to: { path: '@aws-(sdk|lite)/' },
    },
    {
      name: 'lambdas-use-zod-mini-through-domain-zod',
      comment:
        'lambdas/ reaches zod only through lambdas/domain/zod.ts (zod/mini, with English messages): classic zod would put ~100 KB ' +
        'back into every handler bundle, and zod/mini has no messages of its own (a module that skipped zod.ts could answer "Invalid input").',
      severity: 'error',
      from: { path: '^lambdas/', pathNot: '^lambdas/domain/zod\\.ts$' },
      to: { path: '(^|/)node_modules/zod/' },
    },
    {
      name: 'domain-zod-is-mini-and-english',
      comment: 'lambdas/domain/zod.ts imports zod/mini and the English locale only (zod/locales carries every locale, ~260 KB).',
      severity: 'error',
      from: { path: '^lambdas/domain/zod\\.ts$' },
      to: { path: '(^|/)node_modules/zod/', pathNot: '(^|/)node_modules/zod/(mini/|v4/locales/en\\.)' },
    },
    {
      name: 'no-aws-sdk-s3-in-lambdas',
      comment:
        'S3 goes through lambdas/aws/clients/s3.ts (aws4 and node:http), not the AWS SDK: its S3 client, lib-storage and presigner weigh about 300 KB in each bundle that used them (docs/architecture.md, "Lambda bundles").',
      severity: 'error',
      from: { path: '^lambdas/' },
      to: { path: '@aws-sdk/(client-s3|lib-storage|s3-request-presigner)(/|$)' },
    },
    {
      name: 'domain-is-self-contained',
      comment: 'The job model imports nothing of klingflow outside lambdas/domain/ (in particular no provider).',
      severity: 'error',
      from: { path: '^lambdas/domain/' },
      to: { path: '^(lambdas/(?!domain/)|lib/|local/|simulator/|cli/)' },
    },
    {
      name: 'workflow-contract-reads-only-the-domain',
      severity: 'error',
      from: { path: '^lambdas/workflow/' },
      to: { path: '^(lambdas/(?!domain/|workflow/)|lib/|local/|simulator/|cli/)' },
    },
    {
      name: 'providers-read-only-the-domain',
      comment: 'Adapters are pure HTTP clients: they import domain/ and each other, never the reverse, never aws/ or jobs/.',
      severity: 'error',
      from: { path: '^lambdas/providers/' },
      to: { path: '^(lambdas/(?!domain/|providers/)|lib/|local/|simulator/|cli/)' },
    },
    {
      name: 'use-cases-depend-on-ports',
      comment: 'jobs/ sees AWS only through its own ports (jobs/ports.ts), implemented in aws/.',
      severity: 'error',
      from: { path: '^lambdas/jobs/' },
      to: { path: '^(lambdas/(aws|handlers|http)/|lib/|local/|simulator/|cli/)' },
    },
    {
      name: 'http-reads-contracts-only',
      severity: 'error',
      from: { path: '^lambdas/http/' },
      to: { path: '^(lambdas/(aws|handlers|jobs|providers)/|lib/|local/|simulator/|cli/)' },
    },
    {
      name: 'nothing-imports-a-handler',
      comment: 'A handler is an entry point: wiring only, imported by nothing (the local Lambda host loads them by name).',
      severity: 'error',
      from: { path: '^(lambdas|lib|local|cli)/' },
      to: { path: '^lambdas/handlers/' },
    },
    {
      name: 'aws-does-not-import-handlers-or-http',
      severity: 'error',
      from: { path: '^lambdas/aws/' },
      to: { path: '^(lambdas/(handlers|http)/|lib/|local/|simulator/|cli/)' },
    },
    {
      name: 'stack-and-local-read-contracts-only',
      comment: 'lib/ (the CDK app), local/ (the local stack) and cli/ import only contracts from lambdas/.',
      severity: 'error',
      from: { path: '^(lib|local|cli)/' },
      to: { path: '^lambdas/', pathNot: CONTRACTS },
    },
    {
      name: 'simulator-stands-apart',
      comment: 'The provider simulator plays the providers: it must not share code with the adapters it tests.',
      severity: 'error',
      from: { path: '^simulator/' },
      to: { path: '^(lambdas|lib|local|cli)/' },
    },
    {
      name: 'console-speaks-http-only',
      comment: 'The web console runs in a browser: it reads the API over HTTP and imports nothing of the server side.',
      severity: 'error',
      from: { path: '^console/src/' },
      to: { path: '^(lambdas|lib|local|cli|simulator|bin)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Type-only cycles are allowed (lib/nag.ts names the stack type it checks).',
      from: { path: '^(lambdas|lib|local|simulator|cli)/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // node_modules is not excluded (that would drop the dependencies on @aws-sdk the first rule is about): only not followed.
    exclude: { path: '^(cdk\\.out|\\.klingflow)' },
    moduleSystems: ['es6', 'cjs'],
    // TypeScript 7 has no compiler API yet; dependency-cruiser parses the TypeScript sources with swc instead,
    // which keeps type-only imports (they count: a type import is a dependency too, except in cycles).
    parser: 'swc',
  },
};

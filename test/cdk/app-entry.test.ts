// The CDK app's entry point (bin/app.ts), run as `cdk synth` runs it: a context value klingflow cannot deploy with is
// said in one line, naming the key, with no stack trace.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const synthWith = (context: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
    encoding: 'utf8',
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'klingflow-cdk-out-')) },
    timeout: 120_000,
  });

it.each([
  [{ console: 'true' }, /^klingflow: Context console: the web console needs auth=jwt/],
  [{ auth: 'jwt' }, /^klingflow: Context jwtIssuer/],
  [{ enabledProviders: 'kling,Nope' }, /^klingflow: Context enabledProviders: "Nope" is not a provider id/],
])(
  '%j: one line naming the key, exit 1',
  (context, said) => {
    const run = synthWith(context);
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(said);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  },
  150_000,
);

// `npm run bench -- --quick` runs every figure at small scale on the real local stack, so the bench never rots. The
// test checks that each figure is there with the shape README.md's table is made from; it never asserts a timing.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import * as z from 'zod';
import { HANDLERS } from '../../lambdas/workflow/contract.ts';

const count = z.number().int().nonnegative();
const positive = z.number().positive();
const lag = z.object({ jobs: z.number().int().positive(), p50Seconds: z.number().nonnegative(), p95Seconds: z.number().nonnegative() });
const copy = z.object({ seconds: positive, mbPerSecond: positive, peakRssMb: positive });
const Results = z.object({
  generatedAt: z.iso.datetime(),
  mode: z.literal('quick'),
  machine: z.object({ cpus: count, node: z.string() }),
  bundles: z.array(z.object({ handler: z.enum(HANDLERS), bytes: positive, coldLoadMs: z.object({ median: positive, samples: positive }) })),
  frontDoor: z.object({
    jobs: positive,
    acceptedPerSecond: positive,
    completedPerSecond: positive,
    rssMb: z.object({
      start: positive,
      checkpoints: z
        .array(z.object({ jobs: positive, rssMb: positive, reducedRssMb: positive, heapUsedMb: positive, heapTotalMb: positive }))
        .length(2),
    }),
    growth: positive,
    reducedGrowth: positive,
  }),
  latency: z.object({ inFlight: positive, timeScale: positive, callback: lag, polled: lag }),
  archive: z.object({ bytes: positive, archive: copy, raw: copy, rawToDisk: copy, throughputRatio: positive, rssOverRawMb: z.number() }),
  burst: z.object({
    jobs: positive,
    slots: positive,
    slotsEnforced: z.boolean(),
    providerMaxInFlight: positive,
    rejections: count,
    makespanSeconds: positive,
    idealMakespanSeconds: positive,
  }),
  cost: z.object({
    scale: positive,
    rows: z
      .array(
        z.object({
          workflow: z.string(),
          providerSeconds: z.union([z.literal(90), z.literal(300)]),
          transitions: positive,
          lambdaInvocations: positive,
          lambdaGbSeconds: positive,
          usd: positive,
        }),
      )
      .length(8),
  }),
});

const dir = mkdtempSync(join(tmpdir(), 'klingflow-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('runs every figure at small scale and writes them, each beside its reference', async () => {
  const out = join(dir, 'quick.json');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--openssl-legacy-provider', '--expose-gc', '--import', 'tsx', 'bench/main.ts', '--quick', '--out', out],
    { cwd: resolve(import.meta.dirname, '../..'), maxBuffer: 16 * 1024 * 1024 },
  );
  const raw = JSON.parse(readFileSync(out, 'utf8'));
  const results = Results.parse(raw);
  // The quick run builds the bundles it names (a full run: every handler; test/cdk/bundling.test.ts builds them all).
  const named: string[] = raw.scale.handlers ?? [...HANDLERS];
  expect(named.length).toBeGreaterThan(0);
  expect(results.bundles.map((b) => b.handler).sort()).toEqual([...named].sort());
  expect(results.cost.rows.map((r) => r.workflow)).toEqual(
    expect.arrayContaining([
      'klingflow, callback',
      'klingflow, polled',
      'reference: fixed 10 s poll loop',
      'reference: fixed 3-minute wait loop',
    ]),
  );
  // Every job of every section finished: a failed one would have left its figure out or thrown.
  expect(results.latency.callback.jobs + results.latency.polled.jobs).toBe(results.latency.inFlight);
  // The printed table: one row per bundle and per cost row, each figure with its reference.
  for (const line of ['Lambda bundles', 'cold module load', 'local stack RSS', 'completion → notice, callback', 'archive of', 'burst:'])
    expect(stdout).toContain(line);
  expect(stdout.split('\n').filter((l) => l.startsWith('| reference:'))).toHaveLength(4);
}, 600_000);

it('--only runs one section, prints its JSON with the memory breakdown, and writes no file', async () => {
  const out = join(dir, 'only.json');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--openssl-legacy-provider', '--expose-gc', '--import', 'tsx', 'bench/main.ts', '--quick', '--only', 'frontDoor', '--out', out],
    { cwd: resolve(import.meta.dirname, '../..'), maxBuffer: 16 * 1024 * 1024 },
  );
  const frontDoor = Results.shape.frontDoor.parse(JSON.parse(stdout));
  expect(frontDoor.rssMb.checkpoints.map((c) => c.jobs)).toEqual([10, 30]);
  for (const checkpoint of JSON.parse(stdout).rssMb.checkpoints)
    expect(checkpoint).toMatchObject({ externalMb: expect.any(Number), arrayBuffersMb: expect.any(Number) });
  expect(existsSync(out)).toBe(false);
}, 300_000);

it('--only names a section', async () => {
  const failed = await promisify(execFile)(
    process.execPath,
    ['--openssl-legacy-provider', '--import', 'tsx', 'bench/main.ts', '--only', 'toString'],
    { cwd: resolve(import.meta.dirname, '../..') },
  ).catch((error: { code: number; stderr: string }) => error);
  expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('--only takes one of bundles, frontDoor') });
});

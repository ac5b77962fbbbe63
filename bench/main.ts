// `npm run bench`: every figure of issue 8 in one run on the local stack, each beside its reference, written to
// bench/results/latest.json. `npm run bench -- --quick` runs each figure at small scale (part of `npm test`, so the
// bench never rots; figures are printed, never asserted) and writes bench/results/quick.json. `--out <file>` writes
// elsewhere; `--print <file>` prints an earlier run's table; `--only <section>` (e.g. `--only frontDoor`) runs one
// section at the chosen scale and prints its JSON, writing no file. Each section starts its own local stack in a
// fresh data folder.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { archiveBench } from './archive.ts';
import { bundles } from './bundles.ts';
import { burst } from './burst.ts';
import { costPerJob } from './cost.ts';
import { frontDoor } from './front-door.ts';
import { completionToNotice } from './latency.ts';
import { render, type Results } from './report.ts';
import type { HandlerName } from '../lambdas/workflow/contract.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    print: { type: 'string' },
    only: { type: 'string' },
  },
});

// `--print <file>`: the table of an earlier run's JSON, without running anything (README.md's table is made so).
if (values.print) {
  process.stdout.write(`${render(JSON.parse(readFileSync(values.print, 'utf8')) as Results).join('\n')}\n`);
  process.exit(0);
}
const quick = values.quick ?? false;
const out = resolve(values.out ?? join(import.meta.dirname, 'results', quick ? 'quick.json' : 'latest.json'));

const SCALE = quick
  ? {
      loads: 1,
      // Two bundles stand for the twelve (the bundling test builds every one of them in npm test anyway).
      handlers: ['api', 'await-result'] as HandlerName[] | undefined,
      frontDoor: { checkpoints: [10, 30], inFlight: 10 },
      // Provider seconds at 1/30: 2 to 4 s of real time.
      latency: { jobsPerKind: 5, timeScale: 1 / 30, minSeconds: 60, maxSeconds: 120 },
      archiveBytes: 32 * 1024 * 1024,
      burst: { jobs: 12, slots: 3, generationSeconds: 0.5 },
      cost: { scale: 60, perCell: 1 },
    }
  : {
      loads: 11,
      handlers: undefined as HandlerName[] | undefined,
      frontDoor: { checkpoints: [200, 2000], inFlight: 200 },
      // As deployed (time scale 1): real time is provider time.
      latency: { jobsPerKind: 100, timeScale: 1, minSeconds: 60, maxSeconds: 120 },
      archiveBytes: 2_000_000_000,
      burst: { jobs: 200, slots: 3, generationSeconds: 1 },
      cost: { scale: 30, perCell: 3 },
    };

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const timed = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
  const started = Date.now();
  log(`${name}...`);
  const result = await run();
  log(`${name} done in ${Math.round((Date.now() - started) / 1000)} s`);
  return result;
};

const SECTIONS = {
  bundles: () => bundles({ loads: SCALE.loads, ...(SCALE.handlers ? { handlers: SCALE.handlers } : {}) }),
  frontDoor: () => frontDoor(SCALE.frontDoor),
  latency: () => completionToNotice(SCALE.latency),
  archive: () => archiveBench({ bytes: SCALE.archiveBytes }),
  burst: () => burst(SCALE.burst),
  cost: () => costPerJob(SCALE.cost),
};

// `--only <section>`: that section alone, its JSON on stdout (the table needs every section, latest.json too).
if (values.only) {
  const section: (() => Promise<unknown>) | undefined = Object.hasOwn(SECTIONS, values.only)
    ? SECTIONS[values.only as keyof typeof SECTIONS]
    : undefined;
  if (!section) {
    process.stderr.write(`bench: --only takes one of ${Object.keys(SECTIONS).join(', ')}\n`);
    process.exit(2);
  }
  const result = await timed(values.only, section);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}

const results = {
  generatedAt: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  machine: {
    cpus: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
  },
  scale: SCALE,
  bundles: await timed('bundles', SECTIONS.bundles),
  frontDoor: await timed('front door', SECTIONS.frontDoor),
  latency: await timed('completion → notice', SECTIONS.latency),
  archive: await timed('archive', SECTIONS.archive),
  burst: await timed('burst', SECTIONS.burst),
  cost: await timed('cost per job', SECTIONS.cost),
};

mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${render(results).join('\n')}\n`);
log(`wrote ${out}`);
// The stacks are stopped; keep-alive sockets of the SDK clients must not hold the process open.
process.exit(0);

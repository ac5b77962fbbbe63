// `npm run test:fuzz`: the long form of the fuzzing (issue 13). Starts a local stack in a fresh folder, runs every
// property of test/fuzz/properties.ts with 12,000 cases in all (or `--cases N`, `--seed S`), and prints what it saw:
// cases run, 5xx answers, writes for refused input, and errors that name no field. Exits 1 if any is not zero or a
// property found a counterexample (printed, shrunk, with the seed to replay it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startLocalStack } from '../local/stack.ts';
import { FUZZ_STACK_SETTINGS, fuzzAll, type Tally } from '../test/fuzz/properties.ts';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const total = Number(option('cases') ?? 12_000);
const seed = option('seed') === undefined ? Date.now() % 2 ** 31 : Number(option('seed'));
if (!Number.isInteger(total) || total < 1) throw new Error(`--cases must be a positive whole number, got ${option('cases')}`);

const dataDir = mkdtempSync(join(tmpdir(), 'klingflow-fuzz-'));
const stack = await startLocalStack({
  cacheDir: resolve('.vitest-tmp/cache'),
  log: () => undefined,
  settings: { KLINGFLOW_DATA_DIR: dataDir, KLINGFLOW_PORT: 0, POWERTOOLS_LOG_LEVEL: 'SILENT', ...FUZZ_STACK_SETTINGS },
});

const started = Date.now();
const line = (tally: Tally) =>
  `${String(tally.cases).padStart(7)}  ${String(tally.fiveXX).padStart(4)}  ${String(tally.refusedWrites ?? 'n/a').padStart(14)}  ${String(tally.unnamedErrors).padStart(13)}  ${tally.property}`;
process.stdout.write(`klingflow fuzzing: ${total} cases planned, seed ${seed}, stack ${stack.url}\n\n`);
process.stdout.write(`  cases   5xx  refused writes  unnamed errors  property\n`);
let tallies: Tally[] = [];
try {
  tallies = await fuzzAll(stack, total, seed, (tally) => process.stdout.write(`${line(tally)}\n`));
} finally {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

const sum = (pick: (t: Tally) => number | null) => tallies.reduce((n, t) => n + (pick(t) ?? 0), 0);
const failures = tallies.filter((t) => t.failure);
process.stdout.write(`${'-'.repeat(100)}\n`);
process.stdout.write(
  `${line({ property: 'all properties', cases: sum((t) => t.cases), fiveXX: sum((t) => t.fiveXX), refusedWrites: sum((t) => t.refusedWrites), unnamedErrors: sum((t) => t.unnamedErrors) })}\n\n`,
);
process.stdout.write(
  `cases run: ${sum((t) => t.cases)}\n5xx: ${sum((t) => t.fiveXX)}\nwrites for refused input: ${sum((t) => t.refusedWrites)}\n`,
);
process.stdout.write(`errors naming no field: ${sum((t) => t.unnamedErrors)}\ncounterexamples: ${failures.length}\n`);
for (const tally of tallies.filter((t) => t.accepted !== undefined)) {
  process.stdout.write(`  (${tally.property}: ${tally.accepted} accepted, ${tally.cases - (tally.accepted ?? 0)} refused)\n`);
}
process.stdout.write(`took ${Math.round((Date.now() - started) / 1000)} s (seed ${seed})\n`);
for (const failure of failures) process.stdout.write(`\n${failure.property}:\n${failure.failure}\n`);
const clean = failures.length === 0 && sum((t) => t.fiveXX) === 0 && sum((t) => t.refusedWrites) === 0 && sum((t) => t.unnamedErrors) === 0;
process.exit(clean ? 0 : 1);

// The short form of the fuzzing (issue 13), in every `npm test`: each property on a real local stack over loopback,
// a few hundred cases in all. The long form, `npm run test:fuzz`, runs the same properties with ten thousand and more
// and prints the tallies (scripts/fuzz.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { startTestStack } from '../e2e/local-stack.ts';
import {
  FUZZ_STACK_SETTINGS,
  fuzzCallbacks,
  fuzzCreate,
  fuzzList,
  fuzzPaths,
  fuzzUploadOptions,
  fuzzUploads,
  makeVictims,
  type Tally,
  type Victims,
} from './properties.ts';

let stack: LocalStack;
let victims: Victims;

beforeAll(async () => {
  stack = await startTestStack(undefined, FUZZ_STACK_SETTINGS);
  victims = await makeVictims(stack);
});

afterAll(async () => {
  await stack?.stop();
});

/** A property held: it ran, found no counterexample, no 5xx, no refused write, no error without a field. */
function held(tally: Tally, runs: number) {
  expect(tally.failure, tally.failure).toBeUndefined();
  expect(tally.cases).toBeGreaterThanOrEqual(runs);
  expect(tally.fiveXX).toBe(0);
  expect(tally.unnamedErrors).toBe(0);
  if (tally.refusedWrites !== null) expect(tally.refusedWrites).toBe(0);
}

describe('fuzzing, short form', () => {
  it('create bodies and headers: never a 5xx, never a write for refused input, every error names its field', async () => {
    held(await fuzzCreate(stack, 200), 200);
  });

  it('path parameters of every id route', async () => {
    held(await fuzzPaths(stack, victims, 80), 80);
  });

  it('list queries and forged cursors', async () => {
    held(await fuzzList(stack, victims, 80), 80);
  });

  it('callbacks for every provider: forged, signed, misdirected; none believed', async () => {
    held(await fuzzCallbacks(stack, victims, 120), 120);
  });

  it('S3 metadata and manifests through the upload trigger: every upload becomes a job', async () => {
    held(await fuzzUploads(stack, 12), 12);
  });

  it('upload options in the domain, any Unicode', async () => {
    held(await fuzzUploadOptions(300), 300);
  });
});

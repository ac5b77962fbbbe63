// The short form of `npm run test:faults` (scripts/faults/run.ts): jobs on every provider dialect through the local
// stack run as a child process, with the simulator's faults (5xx, 429/1303 at the slot limit, slow and lost answers,
// dropped/duplicated/reordered callbacks), uploads through the S3 trigger, and a kill -9 and restart in the middle.
// Nothing may be lost, stuck, paid twice, or told other than exactly once. Timings are not judged.
import { describe, expect, it } from 'vitest';
import { runFaults } from '../../scripts/faults/run.ts';
import { SHARED_CACHE } from './local-stack.ts';

describe('under faults and a kill -9 (short form of npm run test:faults)', () => {
  it('loses nothing, leaves nothing stuck, pays nothing twice, and tells every job exactly once', async () => {
    const report = await runFaults({
      scenario: 'mixed',
      jobs: 7,
      uploads: 1,
      latencyMs: 2500,
      kills: 1,
      klingSlots: 3,
      deadlineMs: 150_000,
      cacheDir: SHARED_CACHE,
      log: () => undefined,
    });
    expect(report).toMatchObject({
      submitted: 50,
      notAccepted: 0,
      lost: 0,
      stuck: 0,
      duplicateProviderTasks: 0,
      withoutNotice: 0,
      noticeRepeated: 0,
      withoutOneWebhook: 0,
      archiveMismatches: 0,
      kills: 1,
    });
    // Every job ended; the ones that did not succeed carry a reason, and it is one of the faults injected.
    expect(Object.values(report.byStatus).reduce((a, b) => a + b, 0)).toBe(50);
    // Most succeed (every download fault is a passing one), and each of their archives was read back and compared.
    expect(report.byStatus.SUCCEEDED).toBeGreaterThan(35);
    for (const code of Object.keys(report.failures)) expect(['SUBMIT_UNCERTAIN']).toContain(code);
  }, 240_000);
});

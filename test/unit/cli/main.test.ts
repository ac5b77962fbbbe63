// The CLI's commands as main() runs them, for what is refused before any stack is reached: a usage mistake throws a
// UsageError (exit code 2 from the bin) naming the flag or argument, why, and what is allowed.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../cli/connect.ts';
import { main } from '../../../cli/main.ts';

/** main() with its output dropped; an unreachable API, so nothing that got past parsing could start a stack. */
const klingflow = (args: string[]) =>
  main(
    [...args, '--api', 'http://127.0.0.1:9', '--token', 't'],
    () => undefined,
    () => undefined,
  );

describe('a malformed job id is refused at once, by every command that takes one', () => {
  it.each([
    [['watch', ''], "argument 'jobId'"],
    [['watch', 'foo'], "argument 'jobId'"],
    [['watch', 'job_00000000000000000000000000', 'foo', '--appear-timeout', '600'], "value 'foo'"],
    [['show', 'foo'], "argument 'jobId'"],
    [['status', 'job_'], "argument 'jobId'"],
    [['cancel', 'foo'], "argument 'jobId'"],
    [['download', 'foo'], "argument 'jobId'"],
    [['metrics', '--job', 'nope'], "option '--job <jobId>' argument 'nope' is invalid"],
  ])('%j', async (args, named) => {
    const started = Date.now();
    const refused = main(
      args,
      () => undefined,
      () => undefined,
    );
    await expect(refused).rejects.toBeInstanceOf(UsageError);
    await expect(klingflow(args)).rejects.toThrow(named);
    await expect(klingflow(args)).rejects.toThrow(/a job id is job_ and 26 lower-case letters and digits/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

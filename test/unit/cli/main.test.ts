// The CLI's commands as main() runs them, for what is refused before any stack is reached: a usage mistake throws a
// UsageError (exit code 2 from the bin) naming the flag or argument, why, and what is allowed.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../../cli/connect.ts';
import { interruptedNote, main } from '../../../cli/main.ts';

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

describe('whole-number options take plain digits within their bounds, and the refusal names the flag', () => {
  const id = 'job_00000000000000000000000000';
  it.each([
    [['watch', id, '--appear-timeout', '0x10'], "option '--appear-timeout <seconds>' argument '0x10' is invalid", 'from 1 to 3600'],
    [['watch', id, '--appear-timeout', '1e9'], "option '--appear-timeout <seconds>' argument '1e9' is invalid", 'from 1 to 3600'],
    [['watch', id, '--appear-timeout', '3601'], "argument '3601' is invalid", 'from 1 to 3600'],
    [['generate', 'x', '--duration', '5e0'], "option '--duration <seconds>' argument '5e0' is invalid", 'from 1 to 600'],
    [['generate', 'x', '--duration', '0x5'], "option '--duration <seconds>' argument '0x5' is invalid", 'from 1 to 600'],
    [['generate', 'x', '--duration', ' 5'], "option '--duration <seconds>' argument ' 5' is invalid", 'from 1 to 600'],
    [['generate', 'x', '--fps', '1000'], "option '--fps <n>' argument '1000' is invalid", 'frames per second from 1 to 120'],
    [['jobs', '--limit', '-1'], "option '--limit <n>' argument '-1' is invalid", 'a number of jobs from 1 to 1000'],
    [['jobs', '--limit', '0'], "option '--limit <n>' argument '0' is invalid", 'a number of jobs from 1 to 1000'],
    [['generate', 'x', '--shot', '700:x'], "option '--shot <seconds:prompt>' argument '700:x' is invalid", 'from 1 to 600'],
  ])('%j', async (args, named, allowed) => {
    const refused = klingflow(args);
    await expect(refused).rejects.toBeInstanceOf(UsageError);
    await expect(refused).rejects.toThrow(named);
    await expect(refused).rejects.toThrow(allowed);
  });

  it('--version prints the version package.json names, and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(resolve('package.json'), 'utf8')) as { version: string };
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    for (const flag of ['--version', '-V']) {
      const lines: string[] = [];
      expect(await main([flag], (l) => lines.push(l))).toBe(0);
      expect(lines).toEqual([version]);
    }
  });

  it('--help states the bounds', async () => {
    const lines: string[] = [];
    expect(await main(['watch', '--help'], (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n').replace(/\s+/g, ' ')).toContain('whole seconds from 1 to 3600');
    lines.length = 0;
    expect(await main(['jobs', '--help'], (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toContain('1 to 1000');
  });
});

describe('--api on this machine', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("asks for the local stack's token rather than an AWS region", async () => {
    vi.stubEnv('AWS_REGION', '');
    vi.stubEnv('AWS_DEFAULT_REGION', '');
    vi.stubEnv('KLINGFLOW_API_TOKEN', '');
    const refusal = await main(
      ['jobs', '--api', 'http://127.0.0.1:9'],
      () => undefined,
      () => undefined,
    ).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(UsageError);
    expect((refusal as Error).message).toBe(
      "http://127.0.0.1:9 is on this machine: give the local stack's token (npm start prints it) with --token or KLINGFLOW_API_TOKEN " +
        "(or, for a stack in SigV4 mode, --region or AWS_REGION); the stack of this project's data folder needs no --api",
    );
  });
});

describe('upload --image', () => {
  it('is told the image is the argument, not that --image is unknown', async () => {
    const refused = klingflow(['upload', '--image', 'cat.png', '--prompt', 'x']);
    await expect(refused).rejects.toBeInstanceOf(UsageError);
    await expect(refused).rejects.toThrow('upload takes the image as its argument: klingflow upload <image> --prompt <text>');
  });
});

describe('what Ctrl-C says (interruptedNote)', () => {
  it.each([
    [['job_1'], undefined, 'interrupted: stopped waiting; job job_1 goes on (klingflow watch job_1)'],
    [['job_1', 'job_2'], undefined, 'interrupted: stopped waiting; jobs job_1 job_2 go on (klingflow watch job_1 job_2)'],
    [[], undefined, 'interrupted: stopped waiting; the jobs go on (klingflow jobs)'],
    [
      ['job_1'],
      '/home/me/.klingflow',
      'interrupted: stopping the embedded stack; job job_1 is saved in /home/me/.klingflow and goes on when a stack next ' +
        'starts there (npm start, or klingflow watch job_1)',
    ],
    [
      ['job_1', 'job_2'],
      '/d',
      'interrupted: stopping the embedded stack; jobs job_1 job_2 are saved in /d and go on when a stack next starts there ' +
        '(npm start, or klingflow watch job_1 job_2)',
    ],
  ])('%j with the stack embedded in %s', (jobIds, embeddedIn, said) => {
    expect(interruptedNote(jobIds, embeddedIn)).toBe(said);
  });
});

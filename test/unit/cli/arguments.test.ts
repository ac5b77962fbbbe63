// The CLI's value parsers (cli/arguments.ts): a job id must have the shape of one klingflow makes, so a typo is
// refused at once instead of waited for or sent.
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  anyCaseChoice,
  calendarDay,
  camera,
  collect,
  durationSeconds,
  framesPerSecond,
  mediaUrl,
  number,
  outFile,
  parseJobId,
  shot,
  wholeNumber,
} from '../../../cli/arguments.ts';
import { jobIdForIdempotencyKey, newJobId } from '../../../lambdas/domain/job-id.ts';
import { jobIdForUpload } from '../../../lambdas/domain/uploads.ts';

describe('anyCaseChoice (jobs --status)', () => {
  const status = anyCaseChoice(['QUEUED', 'SUCCEEDED']);
  it('takes a choice in any letter case, as the choice is written', () => {
    expect(status('succeeded')).toBe('SUCCEEDED');
    expect(status('Queued')).toBe('QUEUED');
  });
  it('refuses anything else, listing the choices', () => {
    expect(() => status('done')).toThrow(new InvalidArgumentError('Allowed choices are QUEUED, SUCCEEDED (any letter case).'));
  });
});

describe('calendarDay (--since)', () => {
  it.each(['2026-11-01', '2024-02-29', '2026-12-31'])('takes %s', (day) => {
    expect(calendarDay(day)).toBe(day);
  });
  it.each(['2026-02-30', '2026-02-31', '2025-02-29', '2026-13-01', '2026-00-10', '2026-1-1', '2026-11-01T00:00Z', ''])(
    'refuses %j',
    (day) => {
      expect(() => calendarDay(day)).toThrow(new InvalidArgumentError('expected a day that exists, as YYYY-MM-DD (UTC), e.g. 2026-11-01'));
    },
  );
});

describe('outFile (--out)', () => {
  it('takes a file, existing or not', () => {
    expect(outFile('fox.mp4')).toBe('fox.mp4');
    expect(outFile('/no/such/folder/fox.mp4')).toBe('/no/such/folder/fox.mp4'); // said at the write
  });
  it('refuses an empty name and a folder, at once', () => {
    expect(() => outFile('')).toThrow('expected a file name, e.g. fox.mp4');
    expect(() => outFile('  ')).toThrow('expected a file name');
    expect(() => outFile(mkdtempSync(join(tmpdir(), 'klingflow-out-')))).toThrow('is a folder; name a file in it');
  });
});

describe('parseJobId', () => {
  it('takes every id klingflow makes: new, idempotency-keyed, and both kinds of upload job', () => {
    const ids = [
      newJobId(),
      newJobId(new Date(0)),
      jobIdForIdempotencyKey('caller', 'key-1'),
      jobIdForUpload({ bucket: 'inputs', key: 'uploads/up_abcdefghijklmnopqrstuvwxyz/cat.png' }),
      jobIdForUpload({ bucket: 'inputs', key: 'dropped/cat.png', versionId: 'v1' }),
    ];
    expect(ids.map((id) => id.slice(0, 5))).toEqual(['job_0', 'job_0', 'job_k', 'job_t', 'job_u']);
    for (const id of ids) expect(parseJobId(id)).toBe(id);
  });

  it.each([
    '',
    ' ',
    'foo',
    'job_',
    'job_1',
    `${newJobId()} `,
    newJobId().toUpperCase(),
    `${newJobId()}x`,
    'job_ilou0000000000000000000000', // not Crockford base32
    `job_t${'g'.repeat(40)}`, // not hex
    `job_x${'0'.repeat(40)}`,
  ])('refuses %j, saying what a job id looks like', (value) => {
    expect(() => parseJobId(value)).toThrow(InvalidArgumentError);
    expect(() => parseJobId(value)).toThrow(/job_ and 26 lower-case letters and digits.*job_t \/ job_u and 40 hex digits/);
  });

  it('checks each id of a variadic argument (watch <jobId...>)', () => {
    const id = newJobId();
    expect(collect(parseJobId)(id, [id])).toEqual([id, id]);
    expect(() => collect(parseJobId)('foo', [id])).toThrow(InvalidArgumentError);
  });
});

describe("wholeNumber (every whole-number option: --duration, --fps, --limit, --appear-timeout, a --shot's seconds)", () => {
  const seconds = wholeNumber({ min: 1, max: 3600, what: 'whole seconds', hint: 'or wait' });

  it.each([
    ['1', 1],
    ['60', 60],
    ['0060', 60],
    ['3600', 3600],
  ])('takes plain digits within the bounds: %j', (value, n) => {
    expect(seconds(value)).toBe(n);
  });

  it.each([
    '',
    ' ',
    '0',
    '-1',
    '3601',
    '1e9',
    '5e0',
    '0x10',
    '0x5',
    ' 5',
    '5 ',
    '+5',
    '5.0',
    '5.5',
    'Infinity',
    'NaN',
    '٥',
    '9'.repeat(400),
  ])('refuses %j, saying what is allowed', (value) => {
    expect(() => seconds(value)).toThrow(InvalidArgumentError);
    expect(() => seconds(value)).toThrow('expected whole seconds from 1 to 3600, in plain digits; or wait');
  });

  it("--duration and --fps are bounded by the API (MAX_DURATION_SECONDS, MAX_FPS) and point to the model's own list", () => {
    expect(durationSeconds('600')).toBe(600);
    expect(() => durationSeconds('601')).toThrow(/from 1 to 600, in plain digits; one the model takes .*klingflow providers/);
    expect(() => durationSeconds('5e0')).toThrow(InvalidArgumentError);
    expect(framesPerSecond('120')).toBe(120);
    expect(() => framesPerSecond('1000')).toThrow(/whole frames per second from 1 to 120, in plain digits; one the model takes/);
  });

  it("a --shot's seconds are checked as --duration is", () => {
    expect(shot('5:a fox: running')).toEqual({ durationSeconds: 5, prompt: 'a fox: running' });
    expect(() => shot('0:x')).toThrow(/whole seconds from 1 to 600/);
    expect(() => shot('5e0:x')).toThrow(/expected <seconds>:<prompt>/);
    expect(() => shot('five:x')).toThrow(/expected <seconds>:<prompt>/);
  });
});

describe('number (--cfg-scale) and the settings of --camera: plain decimal notation only', () => {
  it.each([
    ['0.5', 0.5],
    ['.5', 0.5],
    ['1', 1],
    ['-2', -2],
  ])('takes %j', (value, expected) => {
    expect(number(value)).toBe(expected);
  });

  it.each(['0x1', '1e0', ' 1', '1 ', '', '-', '1.', 'NaN', 'Infinity', '+1'])('refuses %j', (value) => {
    expect(() => number(value)).toThrow(InvalidArgumentError);
  });

  it('takes camera settings from -10 to 10 and refuses hex, exponents, spaces and values out of range', () => {
    expect(camera('simple:zoom=5,pan=-2.5')).toEqual({ type: 'simple', config: { zoom: 5, pan: -2.5 } });
    for (const bad of ['simple:zoom=0x5', 'simple:zoom=5e0', 'simple:zoom= 5', 'simple:zoom=11', 'simple:zoom=-10.5']) {
      expect(() => camera(bad), bad).toThrow(/a number from -10 to 10/);
    }
  });
});

describe('mediaUrl (--image, --end-image, --video…)', () => {
  it('takes an http(s) URL', () => {
    expect(mediaUrl('https://example.com/cat.png')).toEqual({ url: 'https://example.com/cat.png' });
  });
  it('refuses a local file, saying only the start image can be one (through upload), and anything else', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'klingflow-media-')), 'cat.png');
    writeFileSync(file, 'x');
    expect(() => mediaUrl(file)).toThrow(InvalidArgumentError);
    expect(() => mediaUrl(file)).toThrow(
      'only the start image can be a local file (`klingflow upload <image>`); here give an https:// URL',
    );
    expect(() => mediaUrl('cat.png')).toThrow('expected an https:// URL');
  });
});

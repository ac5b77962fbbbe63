// Parsers of the CLI's option and argument values (commander's argParser). Each answers the parsed value or throws
// commander's InvalidArgumentError, whose message commander prefixes with the flag or argument and the value given
// (`option '--duration <seconds>' argument '5e0' is invalid. expected ...`): so a refusal says what was given, where,
// and what is allowed, and the CLI prints it as a usage mistake (exit code 2), before anything is sent.
import { existsSync, statSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { MAX_DURATION_SECONDS, MAX_FPS } from '../lambdas/domain/job.ts';
import { MINTED_JOB_ID, MINTED_JOB_ID_SHAPE } from '../lambdas/domain/job-id.ts';
import type { CreateJobInput } from './api-client.ts';

/** Plain decimal notation: an optional minus, digits, an optional fraction (`-2`, `0.5`, `.5`); no hex, exponent or space. */
const DECIMAL = /^-?(\d{1,16}(\.\d{1,16})?|\.\d{1,16})$/;

/** The number `value` writes in plain decimal notation ({@link DECIMAL}), or NaN. */
const decimal = (value: string): number => (DECIMAL.test(value) ? Number(value) : Number.NaN);

/** A decimal number (fractions allowed), e.g. `--cfg-scale 0.5`, in plain decimal notation (`0x1`, `1e0`, ` 1` are refused). */
export const number = (value: string): number => {
  const n = decimal(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('expected a number in plain decimal notation, e.g. 0.5');
  return n;
};

/**
 * A parser of a whole-number option: plain decimal digits only (no sign, space, exponent, hex or fraction: `-1`,
 * `5e0`, `0x5`, ` 5` and `5.0` are refused), from `min` to `max` inclusive. `what` is the unit or the thing counted
 * (`whole seconds`, `a number of jobs`); `hint`, what else the value must be and where to find it. The refusal reads e.g.
 * `expected whole seconds from 1 to 600, in plain digits; one the model takes (...)`.
 */
export function wholeNumber({
  min,
  max,
  what,
  hint,
}: {
  min: number;
  max: number;
  what: string;
  hint?: string;
}): (value: string) => number {
  return (value: string) => {
    const n = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
    if (!(n >= min && n <= max))
      throw new InvalidArgumentError(`expected ${what} from ${min} to ${max}, in plain digits${hint ? `; ${hint}` : ''}`);
    return n;
  };
}

/** `--duration` and a `--shot`'s seconds: from 1 to the API's longest; which lengths a model takes, `klingflow providers` lists. */
export const durationSeconds = wholeNumber({
  min: 1,
  max: MAX_DURATION_SECONDS,
  what: 'whole seconds',
  hint: "one the model takes (e.g. 5 or 10; klingflow providers lists each model's)",
});

/** `--fps`: from 1 to the API's highest rate; which rates a model takes, its `fps` in `klingflow providers --json`. */
export const framesPerSecond = wholeNumber({
  min: 1,
  max: MAX_FPS,
  what: 'whole frames per second',
  hint: "one the model takes (e.g. 24 or 30; klingflow providers --json lists each model's fps)",
});

/**
 * A job id argument or option (`show`, `status`, `watch`, `cancel`, `download`, `metrics --job`): refused at once
 * unless it has the shape of an id klingflow makes ({@link MINTED_JOB_ID}), so a typo is not waited for or sent.
 */
export const parseJobId = (value: string): string => {
  if (MINTED_JOB_ID.test(value)) return value;
  throw new InvalidArgumentError(`a job id is ${MINTED_JOB_ID_SHAPE} (klingflow jobs lists the latest)`);
};

/**
 * A parser of a choice given in any letter case (`--status succeeded`): the choice as written in `choices`, or a
 * refusal that lists them.
 */
export const anyCaseChoice =
  (choices: readonly string[]) =>
  (value: string): string => {
    const chosen = choices.find((choice) => choice.toLowerCase() === value.toLowerCase());
    if (chosen) return chosen;
    throw new InvalidArgumentError(`Allowed choices are ${choices.join(', ')} (any letter case).`);
  };

/** Whether `value` is a day that exists, as `YYYY-MM-DD` (2026-02-30 does not). */
export const isCalendarDay = (value: string): boolean =>
  /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);

/** `--since 2026-11-01`: a day that exists, as `YYYY-MM-DD` (UTC). */
export const calendarDay = (value: string): string => {
  if (isCalendarDay(value)) return value;
  throw new InvalidArgumentError('expected a day that exists, as YYYY-MM-DD (UTC), e.g. 2026-11-01');
};

/**
 * `--out <file>`: a file to write, refused at once when it is empty or names a folder (the command would otherwise
 * run, wait, and fail only when it writes). A folder that does not exist, or one not writable, is found at the write.
 */
export const outFile = (value: string): string => {
  if (!value.trim()) throw new InvalidArgumentError('expected a file name, e.g. fox.mp4');
  let folder = false;
  try {
    folder = statSync(value).isDirectory();
  } catch {
    // Nothing there yet: the usual case.
  }
  if (folder) throw new InvalidArgumentError('is a folder; name a file in it, e.g. out/fox.mp4');
  return value;
};

/** `--metadata customer=acme` (repeatable): the pairs so far with this one added. */
export const keyValue = (value: string, previous: Record<string, string> = {}): Record<string, string> => {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError("expected key=value, e.g. --metadata 'customer=acme'");
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
};

/** A media reference from the command line: an http(s) URL (a local file goes through `klingflow upload`). */
export const mediaUrl = (value: string): { url: string } => {
  if (/^https?:\/\//i.test(value)) return { url: value };
  throw new InvalidArgumentError(
    existsSync(value)
      ? 'only the start image can be a local file (`klingflow upload <image>`); here give an https:// URL'
      : 'expected an https:// URL',
  );
};

/** A repeatable option or variadic argument: each value through `parse`, collected in order. */
export const collect =
  <T>(parse: (value: string) => T) =>
  (value: string, previous: T[] = []): T[] => [...previous, parse(value)];

/** `--camera simple:zoom=5,pan=-2` or `--camera down_back`: a camera movement and its settings (-10 to 10). */
export const camera = (value: string): NonNullable<CreateJobInput['cameraControl']> => {
  const [type = '', settings] = value.split(':', 2);
  const types = ['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'] as const;
  if (!(types as readonly string[]).includes(type))
    throw new InvalidArgumentError(`expected one of ${types.join(', ')}, optionally :key=value,...`);
  const config: Record<string, number> = {};
  for (const pair of settings ? settings.split(',') : []) {
    const [key = '', raw = ''] = pair.split('=');
    const n = decimal(raw);
    if (!['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'].includes(key) || !(n >= -10 && n <= 10)) {
      throw new InvalidArgumentError(`'${pair}': settings are horizontal, vertical, pan, tilt, roll or zoom = a number from -10 to 10`);
    }
    config[key] = n;
  }
  return { type: type as (typeof types)[number], ...(Object.keys(config).length ? { config } : {}) };
};

/** `--shot 5:a fox runs`: one shot of a multi-shot video, its length in whole seconds (as `--duration`) and its prompt. */
export const shot = (value: string): { durationSeconds: number; prompt: string } => {
  const match = /^([^:]*):(.+)$/s.exec(value);
  if (!match || !/^\d+$/.test(match[1] ?? ''))
    throw new InvalidArgumentError("expected <seconds>:<prompt>, e.g. --shot '5:a fox runs into the snow'");
  return { durationSeconds: durationSeconds(match[1] ?? ''), prompt: match[2] ?? '' };
};

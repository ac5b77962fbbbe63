// klingflow's command line (commander): generate and upload jobs, follow them, list, cancel and download them, see
// what providers offer and what jobs cost. It talks to `--api` (a bearer token, or AWS SigV4 for auth=iam), or to
// the local stack serving the project's data folder, or starts an embedded local stack for the run (connect.ts).
// Every command takes --json for scripts; `klingflow <command> --help` documents each one.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { JOB_STATUSES, MAX_DURATION_SECONDS, MAX_FPS } from '../lambdas/domain/job.ts';
import { ApiRequestFailed, type CreateJobInput, type JobView } from './api-client.ts';
import {
  anyCaseChoice,
  calendarDay,
  camera,
  collect,
  durationSeconds,
  framesPerSecond,
  keyValue,
  mediaUrl,
  number,
  outFile,
  parseJobId,
  shot,
  wholeNumber,
} from './arguments.ts';
import { connect, nearestDataDir, type Target, UsageError } from './connect.ts';
import { costTable, describeJob, jobsTable, metricsTable, providersTable, spendByProviderAndDay, TERMINAL } from './format.ts';
import { uploadContentType, uploadThroughApi } from './upload.ts';
import { DEFAULT_APPEAR_TIMEOUT_SECONDS, MAX_APPEAR_TIMEOUT_SECONDS, report, saveOutput, typicalSeconds, waitForJobs } from './wait.ts';

const EXIT_CODES = `
Exit codes:
  0    done; for a command that waits, the job SUCCEEDED
  1    a job did not succeed (FAILED, CANCELLED, TIMED_OUT; show says so too) or did not appear (watch
       --appear-timeout), or the API refused the request or could not be reached
  2    the command was not called right (an unknown option, a missing argument)
  130  interrupted (Ctrl-C): the jobs it followed go on, and an embedded stack stops cleanly
  141  its output was closed by its reader (... | head): the same, without a word`;

/** Exit code of a command interrupted by Ctrl-C (SIGINT): 128 + the signal's number, as a shell reports it. */
export const INTERRUPTED_EXIT_CODE = 130;

/** Exit code of a command whose stdout was closed by its reader (EPIPE): 128 + SIGPIPE's number, as `yes | head` gives. */
export const OUTPUT_CLOSED_EXIT_CODE = 141;

/**
 * What an interrupted command says on stderr: that the jobs it followed (`jobIds`) go on, and how to follow them
 * again. With an embedded stack (`embeddedIn`, its data folder), that the stack stops and the jobs go on when a
 * stack next starts there.
 */
export function interruptedNote(jobIds: readonly string[], embeddedIn?: string): string {
  const one = jobIds.length === 1;
  const jobs = jobIds.length ? `${one ? 'job' : 'jobs'} ${jobIds.join(' ')}` : 'the jobs';
  const follow = jobIds.length ? `klingflow watch ${jobIds.join(' ')}` : 'klingflow jobs';
  return embeddedIn
    ? `interrupted: stopping the embedded stack; ${jobs} ${one ? 'is' : 'are'} saved in ${embeddedIn} and ${one ? 'goes' : 'go'} ` +
        `on when a stack next starts there (npm start, or ${follow})`
    : `interrupted: stopped waiting; ${jobs} ${one ? 'goes' : 'go'} on (${follow})`;
}

interface GlobalOptions {
  api?: string;
  token?: string;
  auth?: 'token' | 'sigv4';
  region?: string;
  dataDir?: string;
}

type Say = (line: string) => void;

/** The most jobs `klingflow jobs --limit` lists (the API gives at most 100 a page; the CLI pages). */
const MAX_LIST_LIMIT = 1000;

/** The create-body fields of `generate` and `upload` (docs/api.md, "Create body"); `upload` has no `--image`. */
function createOptions(command: Command, { image }: { image: boolean }): Command {
  if (image) command.option('--image <url>', 'start frame (image-to-video), an https:// URL', mediaUrl);
  else {
    // upload takes its image as the argument; --image, as generate has it, is told so rather than "unknown option".
    command.addOption(
      new Option('--image <file>').hideHelp().argParser((): never => {
        throw new InvalidArgumentError('upload takes the image as its argument: klingflow upload <image> --prompt <text>');
      }),
    );
  }
  return command
    .option('--provider <id>', "provider (default: the stack's default)")
    .option('--model <id>', 'model of that provider')
    .option(
      '--duration <seconds>',
      `video length in whole seconds (1 to ${MAX_DURATION_SECONDS}), one the model takes (klingflow providers lists them)`,
      durationSeconds,
    )
    .addOption(new Option('--resolution <r>', 'output resolution').choices(['720p', '1080p', '4k']))
    .addOption(new Option('--aspect-ratio <r>', 'frame shape').choices(['16:9', '9:16', '1:1']))
    .addOption(new Option('--quality <q>', 'generation quality').choices(['std', 'pro']))
    .option('--negative-prompt <text>', 'what to keep out of the video')
    .option('--cfg-scale <0-1>', 'how closely to follow the prompt', number)
    .option('--fps <n>', `frame rate, where the model lets you choose (1 to ${MAX_FPS}, one the model takes)`, framesPerSecond)
    .option('--audio', 'native audio, where the model has it')
    .option('--end-image <url>', 'end frame, an https:// URL', mediaUrl)
    .option('--reference-image <url>', 'a reference image (reference-to-video; repeatable, in order)', collect(mediaUrl))
    .option('--video <url>', 'the video to edit (video-edit), an https:// URL', mediaUrl)
    .option('--keep-original-sound', "a video edit keeps the input's sound")
    .option('--voice <description>', 'the voice of the native audio, described')
    .option('--voice-id <id>', "a provider's voice id (repeatable, up to 2)", collect(String))
    .option('--camera <type[:key=value,...]>', 'camera movement, e.g. simple:zoom=5 or down_back', camera)
    .option('--shot <seconds:prompt>', 'a shot of a multi-shot video (repeatable, in order)', collect(shot))
    .option('--callback-url <url>', 'HTTPS URL that receives the signed webhook when the job finishes')
    .option('--metadata <key=value>', 'your own label on the job (repeatable)', keyValue);
}

/**
 * The create-body field each option of `generate`/`upload` sets, by the option's name as commander gives it
 * (`--reference-image` is `referenceImage`). The prompt is an argument, and the voice takes two options.
 */
const OPTION_OF_FIELD = {
  provider: 'provider',
  model: 'model',
  durationSeconds: 'duration',
  resolution: 'resolution',
  aspectRatio: 'aspectRatio',
  quality: 'quality',
  negativePrompt: 'negativePrompt',
  cfgScale: 'cfgScale',
  fps: 'fps',
  audio: 'audio',
  image: 'image',
  endImage: 'endImage',
  referenceImages: 'referenceImage',
  video: 'video',
  keepOriginalSound: 'keepOriginalSound',
  cameraControl: 'camera',
  shots: 'shot',
  callbackUrl: 'callbackUrl',
  metadata: 'metadata',
} as const;

/** The flag of an option name: `referenceImage` → `--reference-image`. */
const flagOf = (option: string): string => `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The create body the options of `createOptions` ask for (undefined fields left out). */
function requestFrom(opts: Record<string, unknown>, prompt?: string): CreateJobInput {
  const voiceIds = opts.voiceId as string[] | undefined;
  const voice =
    opts.voice !== undefined || voiceIds
      ? { ...(opts.voice !== undefined ? { description: opts.voice } : {}), ...(voiceIds ? { ids: voiceIds } : {}) }
      : undefined;
  const fields = Object.entries(OPTION_OF_FIELD).map(([field, option]) => [field, opts[option]] as const);
  return Object.fromEntries(
    [['prompt', prompt] as const, ...fields, ['voice', voice] as const].filter(([, v]) => v !== undefined),
  ) as CreateJobInput;
}

/**
 * How the CLI names a field the API refused: the option that sets it, then the API's path
 * (`--duration (durationSeconds)`); a path no option sets (or a prompt, an argument) as the API gave it.
 */
export function fieldLabel(path: string): string {
  const field = path.replace(/^options\./, '').split(/[.[]/, 1)[0] ?? '';
  const flag =
    field === 'voice'
      ? '--voice / --voice-id'
      : Object.hasOwn(OPTION_OF_FIELD, field)
        ? flagOf(OPTION_OF_FIELD[field as keyof typeof OPTION_OF_FIELD])
        : undefined;
  return flag ? `${flag} (${path})` : path;
}

/** Options of a command that waits for its job. */
function waitOptions(command: Command): Command {
  return command
    .option('--out <file.mp4>', 'save the archived video there (checked against its sha256)', outFile)
    .option('--no-wait', 'print only the job id on stdout and return at once (id=$(klingflow generate --no-wait ...))')
    .option('--json', 'print the job as JSON (the API shape) instead of lines');
}

/**
 * Runs one CLI command. `say` is its output (stdout); `note` takes what is said to the person, not to a script reading
 * stdout (stderr): e.g. `generate --no-wait` says only the job id, and its note that the job was submitted.
 * Answers the exit code; throws a UsageError (or what the API throws) for the caller to print.
 */
/** klingflow's version, as package.json names it (`klingflow --version`). */
const CLI_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export async function main(
  argv: string[],
  say: Say = (l) => process.stdout.write(`${l}\n`),
  note: Say = (l) => process.stderr.write(`${l}\n`),
): Promise<number> {
  let exitCode = 0;
  // The jobs the command waits for, named when Ctrl-C interrupts it.
  let followed: readonly string[] = [];
  const program = new Command('klingflow')
    .description('Generate videos with Kling (and the services that resell it) through klingflow.')
    .version(CLI_VERSION, '-V, --version', "klingflow's version")
    .option('--api <url>', 'a klingflow API (default: the local stack; one is started if none runs)')
    .option('--token <token>', "bearer token: the local stack's or a JWT (default: KLINGFLOW_API_TOKEN, or the local stack's)")
    .addOption(
      new Option('--auth <how>', 'token, or sigv4 (AWS credentials from the standard chain; default with --api and no token)').choices([
        'token',
        'sigv4',
      ]),
    )
    .option('--region <region>', 'the region to sign for with sigv4 (default: from the API URL, else AWS_REGION)')
    .option('--data-dir <dir>', 'the local stack data folder (default: KLINGFLOW_DATA_DIR, or the nearest .klingflow)')
    .addHelpText('after', EXIT_CODES)
    .exitOverride()
    // A usage mistake is printed once, by run(), with the hint to --help; commander's own copy is dropped.
    .configureOutput({ writeOut: (text) => say(text.trimEnd()), outputError: () => undefined });

  /**
   * Runs `work` against the connected target, and stops an embedded stack afterwards. What connecting says (that an
   * embedded stack starts) is for the person, on stderr, so `--json` output stays parseable.
   */
  const withTarget = async (command: Command, work: (target: Target, options: GlobalOptions) => Promise<number>) => {
    const options = command.optsWithGlobals<GlobalOptions>();
    const dataDir = resolve(options.dataDir ?? process.env.KLINGFLOW_DATA_DIR ?? nearestDataDir(process.cwd()));
    // Ctrl-C while an embedded stack starts: it cannot be stopped half-started, so it is stopped once it has started.
    let interruptedWhileConnecting = false;
    const whileConnecting = () => {
      interruptedWhileConnecting = true;
      note('interrupted: nothing was sent; stopping once the local stack has started (Ctrl-C again ends at once)');
    };
    process.once('SIGINT', whileConnecting);
    const target = await connect(
      { api: options.api, token: options.token, auth: options.auth, region: options.region, dataDir },
      note,
    ).finally(() => process.removeListener('SIGINT', whileConnecting));
    if (interruptedWhileConnecting) {
      await target.stop();
      exitCode = INTERRUPTED_EXIT_CODE;
      return;
    }
    // Ctrl-C: say what goes on, stop an embedded stack cleanly (its data folder's lock released), exit 130. What the
    // stop does to the command (its requests refused) is not reported: the exit is the interrupt's. A second Ctrl-C
    // while it stops ends the process at once (the listener runs once).
    let stopping: Promise<never> | undefined;
    const endEarly = (code: number) => {
      stopping ??= target
        .stop()
        .catch(() => undefined)
        .then(() => process.exit(code));
    };
    const interrupted = () => {
      // A terminal may hold a status line being rewritten in place (wait.ts): the note starts on a line of its own.
      if (process.stdout.isTTY) process.stdout.write('\n');
      note(interruptedNote(followed, target.embeddedIn));
      endEarly(INTERRUPTED_EXIT_CODE);
    };
    // The reader of stdout has gone (`klingflow watch ... | head -3`): nothing more can be said there, so the command
    // ends as for Ctrl-C, quietly, instead of dying on the write with an embedded stack's folder still locked.
    const readerGone = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') endEarly(OUTPUT_CLOSED_EXIT_CODE);
    };
    process.once('SIGINT', interrupted);
    process.stdout.on('error', readerGone);
    try {
      exitCode = await work(target, options);
    } catch (error) {
      if (stopping) await stopping;
      throw error;
    } finally {
      process.removeListener('SIGINT', interrupted);
      process.stdout.removeListener('error', readerGone);
      if (stopping) await stopping;
      await target.stop();
    }
  };
  /**
   * Resolves when the API knows `jobId`; throws an Error naming `flag` when it does not (its 404: exit code 1), and
   * any other refusal of the API as thrown.
   */
  const mustExist = async (target: Target, jobId: string, flag: string): Promise<void> => {
    await target.api.getJob(jobId).catch((error: unknown) => {
      if (error instanceof ApiRequestFailed && error.status === 404) {
        throw new Error(`${flag} ${jobId}: no such job (klingflow jobs lists the latest)`);
      }
      throw error;
    });
  };
  const printJson = (value: unknown) => say(JSON.stringify(value, null, 2));
  const finish = async (target: Target, jobId: string, opts: { out?: string; wait: boolean; json?: boolean }): Promise<number> => {
    if (!opts.wait) {
      // Stdout is the id alone (or the JSON), for `id=$(klingflow generate --no-wait ...)`; the rest is for the person.
      if (opts.json) printJson({ jobId });
      else say(jobId);
      if (target.embeddedIn) {
        note(
          `no stack keeps running after this command: job ${jobId} is saved in ${target.embeddedIn} and goes on while a ` +
            `stack runs there (npm start, or klingflow watch ${jobId}, which runs one until the job ends)`,
        );
      }
      return 0;
    }
    followed = [jobId];
    const [job] = (await waitForJobs(target.api, [jobId], say, opts.json)) as [JobView];
    if (!opts.json) return report(target.api, job, opts.out, say);
    if (job.status === 'SUCCEEDED' && opts.out) await saveOutput(target.api, job, opts.out);
    printJson(job);
    return job.status === 'SUCCEEDED' ? 0 : 1;
  };

  waitOptions(createOptions(program.command('generate').argument('[prompt...]', 'what should happen in the video'), { image: true }))
    .description('create a job from a prompt (text-to-video; image-to-video, reference, video edit or multi-shot with their options)')
    .action(async (words: string[], opts: Record<string, unknown>, command: Command) => {
      const prompt = words.join(' ').trim();
      const request = requestFrom(opts, prompt || undefined);
      const human = opts.wait ? say : note;
      await withTarget(command, async (target) => {
        const { jobId } = await target.api.createJob(request);
        if (!opts.json) human(`submitted ${jobId}`);
        return finish(target, jobId, opts as { out?: string; wait: boolean; json?: boolean });
      });
    });

  waitOptions(createOptions(program.command('upload').argument('<image>', 'a .png, .jpg, .jpeg or .webp file'), { image: false }))
    .description(
      'image-to-video from a local image: the API checks the options and hands out a presigned upload; the upload starts the job',
    )
    .option('--prompt <text>', 'what should happen in the video')
    .action(async (file: string, opts: Record<string, unknown>, command: Command) => {
      if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
      // Refused here, before anything is sent: S3 would store it and no job would ever start.
      uploadContentType(file);
      const request = requestFrom(opts, opts.prompt as string | undefined);
      const human = opts.wait ? say : note;
      await withTarget(command, async (target) => {
        const ticket = await uploadThroughApi(target.api, file, readFileSync(file), request);
        if (!opts.json) human(`uploaded s3://${ticket.bucket}/${ticket.key} → job ${ticket.jobId}`);
        return finish(target, ticket.jobId, opts as { out?: string; wait: boolean; json?: boolean });
      });
    });

  program
    .command('show')
    .alias('status')
    .argument('<jobId>', 'the job (klingflow jobs lists them)', parseJobId)
    .description('show a job; with --out, save its video once it has SUCCEEDED')
    .option('--out <file.mp4>', 'save the archived video there (checked against its sha256)', outFile)
    .option('--json', 'print the job as JSON')
    .action(async (jobId: string, opts: { out?: string; json?: boolean }, command: Command) => {
      await withTarget(command, async (target) => {
        const job = await target.api.getJob(jobId);
        if (opts.json) {
          if (opts.out && job.status === 'SUCCEEDED') await saveOutput(target.api, job, opts.out);
          printJson(job);
          return TERMINAL.has(job.status) && job.status !== 'SUCCEEDED' ? 1 : 0;
        }
        if (TERMINAL.has(job.status)) return report(target.api, job, opts.out, say);
        for (const line of describeJob(job)) say(line);
        if (opts.out) say(`not saved: the job is ${job.status}; its video can be saved once it has SUCCEEDED`);
        return 0;
      });
    });

  program
    .command('jobs')
    .description('list jobs, newest first')
    .addOption(
      new Option('--status <status>', 'only jobs in this status (any letter case)')
        .choices(JOB_STATUSES)
        .argParser(anyCaseChoice(JOB_STATUSES)),
    )
    .option('--provider <id>', "only this provider's jobs")
    .option('--since <date>', 'only jobs created on or after this day (YYYY-MM-DD, UTC)', calendarDay)
    .option(
      '--limit <n>',
      `at most this many jobs (1 to ${MAX_LIST_LIMIT}; fetched 100 a page)`,
      wholeNumber({ min: 1, max: MAX_LIST_LIMIT, what: 'a number of jobs' }),
      20,
    )
    .option('--json', 'print {items, nextCursor} as JSON')
    .action(async (opts: { status?: string; provider?: string; since?: string; limit: number; json?: boolean }, command: Command) => {
      await withTarget(command, async (target) => {
        const items: JobView[] = [];
        let cursor: string | undefined;
        do {
          const page = await target.api.listJobs({
            status: opts.status,
            provider: opts.provider,
            limit: Math.min(100, opts.limit - items.length),
            cursor,
          });
          // Newest first: the first job older than --since ends the listing.
          const recent = opts.since ? page.items.filter((job) => job.createdAt.slice(0, 10) >= (opts.since ?? '')) : page.items;
          items.push(...recent);
          cursor = recent.length < page.items.length ? undefined : (page.nextCursor ?? undefined);
        } while (cursor && items.length < opts.limit);
        if (opts.json) printJson({ items, nextCursor: cursor ?? null });
        else if (items.length) for (const line of jobsTable(items)) say(line);
        else say('no jobs');
        return 0;
      });
    });

  program
    .command('watch')
    .argument('<jobId...>', 'the jobs to follow', collect(parseJobId))
    .description(
      'follow jobs until they finish: status, progress, elapsed time, an estimate of the time left (from the progress, or the typical time of recent jobs of the same model, duration and resolution), retries and queue position',
    )
    .option(
      '--appear-timeout <seconds>',
      `how long to wait for a job the API does not know yet (an upload's job appears once S3 has told the trigger), whole seconds from 1 to ${MAX_APPEAR_TIMEOUT_SECONDS}; then it fails, exit code 1`,
      wholeNumber({ min: 1, max: MAX_APPEAR_TIMEOUT_SECONDS, what: 'whole seconds' }),
      DEFAULT_APPEAR_TIMEOUT_SECONDS,
    )
    .option('--json', 'print the finished jobs as JSON')
    .action(async (jobIds: string[], opts: { appearTimeout: number; json?: boolean }, command: Command) => {
      await withTarget(command, async (target) => {
        followed = jobIds;
        const jobs = await waitForJobs(target.api, jobIds, say, opts.json, await typicalSeconds(target.api), {
          appearTimeoutSeconds: opts.appearTimeout,
          note,
          longer: '--appear-timeout <seconds> waits longer',
        });
        if (opts.json) printJson(jobs);
        return jobs.every((job) => job.status === 'SUCCEEDED') ? 0 : 1;
      });
    });

  program
    .command('cancel')
    .argument('<jobId>', 'the job to cancel', parseJobId)
    .description('cancel a job that has not finished (the provider is told where it can be)')
    .option('--json', 'print the cancelled job as JSON')
    .action(async (jobId: string, opts: { json?: boolean }, command: Command) => {
      await withTarget(command, async (target) => {
        const job = await target.api.cancelJob(jobId);
        if (opts.json) printJson(job);
        else for (const line of describeJob(job)) say(line);
        return 0;
      });
    });

  program
    .command('providers')
    .description('what each provider and model allows (modes, durations, qualities, resolutions, features) and costs')
    .option('--provider <id>', 'only this provider')
    .option('--json', 'print the catalog (GET /v1/providers) as JSON')
    .action(async (opts: { provider?: string; json?: boolean }, command: Command) => {
      await withTarget(command, async (target) => {
        const catalog = await target.api.providers();
        const providers = catalog.providers.filter((p) => !opts.provider || p.id === opts.provider);
        if (opts.provider && !providers.length) {
          throw new UsageError(`${opts.provider} is not an enabled provider; enabled: ${catalog.providers.map((p) => p.id).join(', ')}`);
        }
        if (opts.json) printJson({ ...catalog, providers });
        else for (const line of providersTable(providers)) say(line);
        return 0;
      });
    });

  program
    .command('cost')
    .description("spend by provider and day: the cost recorded on each SUCCEEDED job (the provider's reported cost, else the estimate)")
    .option('--since <date>', 'from this day on (YYYY-MM-DD, UTC; default: 30 days ago)', calendarDay)
    .option('--provider <id>', "only this provider's jobs")
    .option('--json', 'print {since, rows, totals} as JSON')
    .action(async (opts: { since?: string; provider?: string; json?: boolean }, command: Command) => {
      const since = opts.since ?? new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
      await withTarget(command, async (target) => {
        // Newest first: page until a job older than --since.
        const jobs: JobView[] = [];
        let cursor: string | undefined;
        for (;;) {
          const page = await target.api.listJobs({ status: 'SUCCEEDED', provider: opts.provider, limit: 100, cursor });
          const recent = page.items.filter((job) => job.createdAt.slice(0, 10) >= since);
          jobs.push(...recent);
          cursor = page.nextCursor ?? undefined;
          if (!cursor || recent.length < page.items.length) break;
        }
        const spend = spendByProviderAndDay(jobs);
        if (opts.json) printJson({ since, ...spend });
        else for (const line of costTable(spend)) say(line);
        return 0;
      });
    });

  program
    .command('download')
    .argument('<jobId>', 'the SUCCEEDED job', parseJobId)
    .description("save a SUCCEEDED job's video (or thumbnail), checked against its sha256")
    .option('--out <file>', 'where to save it (default: <jobId>.mp4, or <jobId>.jpg with --thumbnail)', outFile)
    .option('--thumbnail', 'the thumbnail instead of the video')
    .option('--json', 'print {jobId, file, sha256} as JSON')
    .action(async (jobId: string, opts: { out?: string; thumbnail?: boolean; json?: boolean }, command: Command) => {
      await withTarget(command, async (target) => {
        const output = opts.thumbnail ? 'thumbnail' : 'video';
        const job = await target.api.getJob(jobId);
        // Not a usage mistake (exit 2): the command was right, the job did not succeed (exit 1, as watch says).
        if (job.status !== 'SUCCEEDED') throw new Error(`job ${jobId} is ${job.status}; only a SUCCEEDED job has a ${output}`);
        const file = await saveOutput(target.api, job, opts.out ?? `${jobId}.${opts.thumbnail ? 'jpg' : 'mp4'}`, output);
        if (opts.json) printJson({ jobId, file, sha256: job.outputs?.[output]?.sha256 });
        else say(`saved    ${file}`);
        return 0;
      });
    });

  program
    .command('metrics')
    .description("the local stack's metrics, summed from its handlers' CloudWatch EMF lines (on AWS: CloudWatch)")
    .option('--job <jobId>', "only this job's data points", parseJobId)
    .option('--name <metric>', 'only this metric (e.g. JobsFinished, SubmitSeconds)')
    .option('--provider <id>', "only this provider's")
    .option('--json', 'print {metrics, lines} as JSON')
    .action(async (opts: { job?: string; name?: string; provider?: string; json?: boolean }, command: Command) => {
      await withTarget(command, async (target) => {
        const sums = await target.api.metrics({ jobId: opts.job, name: opts.name, provider: opts.provider });
        // No data points of a job: say whether that is because the job does not exist (the API's 404).
        if (opts.job && !sums.metrics.length) await mustExist(target, opts.job, '--job');
        if (opts.json) printJson(sums);
        else if (sums.metrics.length) for (const line of metricsTable(sums.metrics)) say(line);
        else say('no metrics yet');
        return 0;
      });
    });

  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0; a usage mistake is printed by run().
      if (error.exitCode === 0) return 0;
      throw new UsageError(error.message.replace(/^error: /, ''));
    }
    throw error;
  }
}

/** Runs the CLI and exits with its code; errors become one readable line (and field details), no stack. */
export async function run(argv: string[]): Promise<never> {
  try {
    process.exit(await main(argv));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(
        `klingflow: ${error.message}\n  (klingflow --help lists the commands; klingflow <command> --help their options)\n`,
      );
      process.exit(2);
    }
    if (error instanceof ApiRequestFailed && (error.status === 401 || error.status === 403)) {
      process.stderr.write(
        `klingflow: the API refused the credentials (${error.status}): ${error.error.message}\n` +
          '  check --token / KLINGFLOW_API_TOKEN (the local stack prints its token at start and keeps it in <data dir>/api-token)\n',
      );
      process.exit(1);
    }
    if (error instanceof ApiRequestFailed) {
      process.stderr.write(`klingflow: ${error.error.message} (${error.status} ${error.error.code})\n`);
      for (const d of error.error.details ?? []) process.stderr.write(`  ${fieldLabel(d.path)}: ${d.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`klingflow: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

// The CLI as a user runs it: against a running stack, and with no stack running (it starts an embedded one).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/connect.ts';
import { main } from '../../cli/main.ts';
import type { LocalStack } from '../../local/stack.ts';
import { Client, freshDataDir, SHARED_CACHE, startTestStack } from './local-stack.ts';

const run = promisify(execFile);
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

describe('klingflow generate', () => {
  it('submits to a running stack, waits, prints where the video is and saves it', async () => {
    const out = join(freshDataDir(), 'fox.mp4');
    const lines: string[] = [];
    const code = await main(['generate', 'a red fox running through snow', '--api', stack.url, '--token', stack.token, '--out', out], (l) =>
      lines.push(l),
    );
    expect(code).toBe(0);
    const jobId = lines.find((l) => l.startsWith('submitted '))!.slice('submitted '.length);
    const job = (await new Client(stack).request('GET', `/v1/jobs/${jobId}`)).body;
    expect(lines).toContain('status   SUCCEEDED');
    expect(lines).toContain(
      `video    s3://${job.outputs.video.bucket}/${job.outputs.video.key} (${job.outputs.video.bytes} bytes, sha256 ${job.outputs.video.sha256})`,
    );
    expect(sha256(out)).toBe(job.outputs.video.sha256);
  });

  it('says which field is wrong and exits non-zero on invalid input', async () => {
    const lines: string[] = [];
    await expect(
      main(['generate', 'x', '--duration', '7', '--model', 'kling-v2-6', '--api', stack.url, '--token', stack.token], (l) => lines.push(l)),
    ).rejects.toMatchObject({ status: 422, error: { details: [{ path: 'durationSeconds' }] } });
  });

  it('upload: sends the image through a presigned upload from the API (no S3 credentials) and waits for the video', async () => {
    const dir = freshDataDir();
    const file = join(dir, 'cli cat 猫.png');
    cpSync('test/fixtures/cat-640x360.png', file);
    const out = join(dir, 'cat.mp4');
    const lines: string[] = [];
    const code = await main(
      ['upload', file, '--prompt', '小猫眨眼 (the cat blinks)', '--metadata', 'shelf=3', '--data-dir', stack.dataDir, '--out', out],
      (l) => lines.push(l),
    );
    expect(code, lines.join('\n')).toBe(0);
    const jobId = lines.find((l) => l.startsWith('uploaded '))!.split(' job ')[1]!;
    expect(lines[0]).toMatch(new RegExp(`^uploaded s3://${stack.inputsBucket}/uploads/up_[a-z2-7]{26}/cli cat 猫\\.png → job ${jobId}$`));
    const job = (await new Client(stack).request('GET', `/v1/jobs/${jobId}`)).body;
    expect(job).toMatchObject({
      status: 'SUCCEEDED',
      mode: 'image-to-video',
      source: { key: expect.stringMatching(/^uploads\/up_[a-z2-7]{26}\/cli cat 猫\.png$/) },
      // A non-ASCII prompt reaches the job (and the provider) as typed.
      request: { prompt: '小猫眨眼 (the cat blinks)', metadata: { shelf: '3' } },
    });
    expect(sha256(out)).toBe(job.outputs.video.sha256);
  });

  it('starts an embedded local stack when none is running', async () => {
    const dataDir = freshDataDir();
    // Reuse the synthesized workflow (the cache is keyed by a hash of its sources).
    if (existsSync(join(SHARED_CACHE, 'workflow.json'))) cpSync(SHARED_CACHE, join(dataDir, 'cache'), { recursive: true });
    const out = join(dataDir, 'embedded.mp4');
    // Run the bin as npx does: through a link named klingflow (so argv[1] is not cli/bin.mjs).
    const link = join(dataDir, 'klingflow');
    symlinkSync(resolve('cli/bin.mjs'), link);
    const { stdout, stderr } = await run(link, ['generate', 'a hot air balloon', '--data-dir', dataDir, '--out', out], {
      env: {
        ...process.env,
        KLINGFLOW_SIMULATOR_LATENCY_MS: '300',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        KLINGFLOW_KLING_BASE_URL: '',
      },
      timeout: 90_000,
    });
    // Said to the person (stderr), so a script reading stdout (`jobs --json`) gets only what it asked for.
    expect(stderr).toContain('starting an embedded one');
    expect(stdout).not.toContain('starting an embedded one');
    expect(stdout).toMatch(/status {3}SUCCEEDED/);
    const saved = stdout.match(/sha256 ([0-9a-f]{64})/)![1];
    expect(sha256(out)).toBe(saved);
    expect(existsSync(join(dataDir, 'stack.json'))).toBe(false); // the embedded stack stopped with the run
  });

  it('generate --no-wait with no stack running prints the id, and says the job goes on while a stack runs there', async () => {
    const dataDir = freshDataDir();
    if (existsSync(join(SHARED_CACHE, 'workflow.json'))) cpSync(SHARED_CACHE, join(dataDir, 'cache'), { recursive: true });
    const { stdout, stderr } = await run(resolve('cli/bin.mjs'), ['generate', 'a job for later', '--no-wait', '--data-dir', dataDir], {
      // No POWERTOOLS_LOG_LEVEL: the embedded stack's own default is what is under test.
      env: Object.fromEntries(
        Object.entries({ ...process.env, KLINGFLOW_KLING_BASE_URL: '' }).filter(([name]) => name !== 'POWERTOOLS_LOG_LEVEL'),
      ),
      timeout: 90_000,
    });
    const jobId = stdout.trim();
    expect(jobId).toMatch(/^job_[0-9a-z]{26}$/);
    expect(stderr).toContain(`No local stack is running on ${dataDir}`);
    expect(stderr).toContain(
      `no stack keeps running after this command: job ${jobId} is saved in ${dataDir} and goes on while a stack runs there ` +
        `(npm start, or klingflow watch ${jobId}, which runs one until the job ends)`,
    );
    // No handler's log line reaches the person (the embedded stack's handlers log nothing unless asked).
    expect(stderr).not.toMatch(/"level":/);
  });
});

describe('klingflow, as a user gets it wrong', () => {
  /** Runs the bin as a user would and returns what it printed and its exit code (never throws). */
  async function klingflow(args: string[], cwd = resolve('.')): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(resolve('cli/bin.mjs'), args, {
        cwd,
        env: { ...process.env, KLINGFLOW_API_TOKEN: '' },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  it('refuses an upload the trigger would ignore (.gif) before anything is uploaded', async () => {
    const answer = await klingflow(['upload', 'test/fixtures/square-400.gif', '--data-dir', stack.dataDir, '--no-wait']);
    expect(answer.code).toBe(2);
    expect(answer.stderr).toContain('square-400.gif would start no job');
    expect(answer.stderr).toContain('.png, .jpg, .jpeg, .webp');
    expect(answer.stdout).not.toContain('uploaded');
  });

  it('generate and upload --no-wait print the bare job id on stdout (id=$(klingflow generate --no-wait ...)); the rest on stderr', async () => {
    const generated = await klingflow(['generate', 'an id for a script', '--no-wait', '--data-dir', stack.dataDir]);
    expect(generated.code, generated.stderr).toBe(0);
    expect(generated.stdout).toMatch(/^job_[^\s]+\n$/);
    const jobId = generated.stdout.trim();
    expect(generated.stderr).toContain(`submitted ${jobId}`);
    expect((await new Client(stack).request('GET', `/v1/jobs/${jobId}`)).status).toBe(200);

    const uploaded = await klingflow(['upload', 'test/fixtures/cat-640x360.png', '--no-wait', '--data-dir', stack.dataDir]);
    expect(uploaded.code, uploaded.stderr).toBe(0);
    expect(uploaded.stdout).toMatch(/^job_[^\s]+\n$/);
    expect(uploaded.stderr).toContain(`→ job ${uploaded.stdout.trim()}`);
  });

  it('watch of a job that does not exist says so once, waits --appear-timeout, then fails (exit code 1)', async () => {
    const missing = 'job_00000000000000000000000000';
    const started = Date.now();
    const answer = await klingflow(['watch', missing, '--appear-timeout', '2', '--data-dir', stack.dataDir]);
    expect(answer.code, answer.stderr).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    const waiting = `job ${missing} does not exist (yet): waiting up to 2 s for it to appear`;
    expect(answer.stderr.split(waiting).length - 1).toBe(1);
    expect(answer.stderr).toContain(`job ${missing} does not exist: the API did not know it for 2 s (--appear-timeout <seconds>`);
    expect(answer.stdout).toBe('');

    const refused = await klingflow(['watch', missing, '--appear-timeout', '0', '--data-dir', stack.dataDir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("option '--appear-timeout <seconds>' argument '0' is invalid");
    expect(refused.stderr).toContain('expected whole seconds from 1 to 3600, in plain digits');
  });

  it('names --duration, not the API field, and says what is allowed: a negative length here, a length the model lacks from the API', async () => {
    const negative = await klingflow(['generate', 'x', '--duration', '-5', '--no-wait', '--data-dir', stack.dataDir]);
    expect(negative.code).toBe(2);
    expect(negative.stderr).toContain("option '--duration <seconds>' argument '-5' is invalid");
    // Said once, with one hint to --help (commander's own copy is not printed as well).
    expect(negative.stderr.split("argument '-5' is invalid").length - 1).toBe(1);
    expect(negative.stderr.split('klingflow --help lists the commands').length - 1).toBe(1);
    expect(negative.stderr).toContain('expected whole seconds from 1 to 600, in plain digits; one the model takes');
    expect(negative.stderr).toContain('klingflow providers');
    expect(negative.stderr).not.toContain('durationSeconds');
    expect(negative.stdout).toBe('');

    const unlisted = await klingflow([
      'generate',
      'x',
      '--duration',
      '7',
      '--model',
      'kling-v2-6',
      '--no-wait',
      '--data-dir',
      stack.dataDir,
    ]);
    expect(unlisted.code).toBe(1);
    expect(unlisted.stderr).toMatch(/ {2}--duration \(durationSeconds\): 7 is not allowed for .*kling-v2-6.*; allowed: 5/);
  });

  it('says the token was refused, not that none was sent', async () => {
    const answer = await klingflow(['status', 'job_00000000000000000000000000', '--api', stack.url, '--token', 'not-the-token']);
    expect(answer.code).toBe(1);
    expect(answer.stderr).toContain('the API refused the credentials (401)');
    expect(answer.stderr).toContain('--token / KLINGFLOW_API_TOKEN');
  });

  it('says an API that does not answer cannot be reached, naming it', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const { port } = probe.address() as AddressInfo;
    await new Promise((done) => probe.close(done));
    const answer = await klingflow(['status', 'job_00000000000000000000000000', '--api', `http://127.0.0.1:${port}`, '--token', 't']);
    expect(answer.code).toBe(1);
    expect(answer.stderr).toContain(`cannot reach the klingflow API at http://127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('finds the running stack from a subfolder, and status --out saves the video', async () => {
    const project = freshDataDir();
    mkdirSync(join(project, 'deep', 'er'), { recursive: true });
    // The stack's data folder, as `npm start` makes it, at the project's top.
    symlinkSync(stack.dataDir, join(project, '.klingflow'));
    const { jobId } = (await new Client(stack).request('POST', '/v1/jobs', { prompt: 'a kite' })).body as { jobId: string };
    const job = await new Client(stack).waitForJob(jobId);
    const out = join(project, 'kite.mp4');
    const answer = await klingflow(['status', jobId, '--out', out], join(project, 'deep', 'er'));
    expect(answer.stderr).toBe('');
    expect(answer.stdout).not.toContain('starting an embedded one');
    expect(answer.stdout).toMatch(/status {3}SUCCEEDED/);
    expect(sha256(out)).toBe(job.outputs.video.sha256);
  });

  it('npm start on a busy port says which port and how to choose another', async () => {
    const busy = createServer();
    await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
    const { port } = busy.address() as AddressInfo;
    try {
      const dataDir = freshDataDir();
      if (existsSync(join(SHARED_CACHE, 'workflow.json'))) cpSync(SHARED_CACHE, join(dataDir, 'cache'), { recursive: true });
      const started = await run(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', 'local/main.ts'], {
        env: { ...process.env, KLINGFLOW_PORT: String(port), KLINGFLOW_DATA_DIR: dataDir, POWERTOOLS_LOG_LEVEL: 'SILENT' },
        timeout: 60_000,
      }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
      expect(started.code).toBe(1);
      expect(started.stderr).toContain(`port ${port} is in use`);
      expect(started.stderr).toContain('KLINGFLOW_PORT=<port> npm start');
      expect(started.stderr).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      await new Promise((done) => busy.close(done));
    }
  });
});

describe('klingflow commands', () => {
  const lines: string[] = [];
  const say = (line: string) => lines.push(line);
  const at = () => ['--api', stack.url, '--token', stack.token];
  const client = () => new Client(stack);

  it('every command has its own help, and the help documents the exit codes', async () => {
    lines.length = 0;
    expect(await main(['--help'], say)).toBe(0);
    const help = lines.join('\n');
    for (const command of ['generate', 'upload', 'show', 'jobs', 'watch', 'cancel', 'download', 'providers', 'cost']) {
      expect(help).toContain(command);
    }
    expect(help).toContain('--auth <how>');
    expect(help).toContain('Exit codes:');
    lines.length = 0;
    expect(await main(['generate', '--help'], say)).toBe(0);
    expect(lines.join('\n')).toMatch(/--callback-url <url>[\s\S]*--metadata <key=value>[\s\S]*--no-wait/);
    for (const option of [
      '--end-image',
      '--reference-image',
      '--video',
      '--voice',
      '--voice-id',
      '--camera',
      '--shot',
      '--keep-original-sound',
    ]) {
      expect(lines.join('\n')).toContain(option);
    }
    for (const command of ['providers', 'cost']) {
      lines.length = 0;
      expect(await main([command, '--help'], say)).toBe(0);
      expect(lines.join('\n')).toContain('--json');
    }
  });

  it('sends every create option the API takes: voice, camera, shots, reference images, video edit', async () => {
    const ask = async (args: string[]) => {
      lines.length = 0;
      expect(await main(['generate', ...args, '--json', '--no-wait', ...at()], say)).toBe(0);
      const { jobId } = JSON.parse(lines.join('\n')) as { jobId: string };
      const { body } = await client().request('GET', `/v1/jobs/${jobId}`);
      await client().request('DELETE', `/v1/jobs/${jobId}`);
      return body.request;
    };
    expect(await ask(['a fox', '--provider', 'kling-ai', '--model', 'kling-o3', '--audio', '--voice', 'a calm narrator'])).toMatchObject({
      audio: true,
      voice: { description: 'a calm narrator' },
    });
    expect(
      await ask([
        'a fox',
        '--provider',
        'fal',
        '--model',
        'kling-v2-6',
        '--quality',
        'pro',
        '--audio',
        '--image',
        'https://example.com/cat.png',
        '--voice-id',
        'v1',
        '--voice-id',
        'v2',
      ]),
    ).toMatchObject({ audio: true, voice: { ids: ['v1', 'v2'] } });
    expect(await ask(['a fox', '--model', 'kling-v1', '--camera', 'simple:zoom=5'])).toMatchObject({
      cameraControl: { type: 'simple', config: { zoom: 5 } },
    });
    expect(await ask(['--shot', '5:a fox wakes', '--shot', '5:it runs', '--duration', '10'])).toMatchObject({
      shots: [
        { durationSeconds: 5, prompt: 'a fox wakes' },
        { durationSeconds: 5, prompt: 'it runs' },
      ],
    });
    expect(
      await ask([
        'these two together',
        '--model',
        'kling-v1-6',
        '--reference-image',
        'https://example.com/a.png',
        '--reference-image',
        'https://example.com/b.png',
      ]),
    ).toMatchObject({ referenceImages: [{ url: 'https://example.com/a.png' }, { url: 'https://example.com/b.png' }] });
    await expect(main(['generate', 'x', '--camera', 'sideways', ...at()], say)).rejects.toThrow(/--camera.*expected one of simple/);
    await expect(main(['generate', 'x', '--shot', 'five:x', ...at()], say)).rejects.toThrow(/expected <seconds>:<prompt>/);
  });

  it('providers prints what each model allows and costs, from GET /v1/providers; --json the catalog', async () => {
    lines.length = 0;
    expect(await main(['providers', ...at()], say)).toBe(0);
    expect(lines[0]).toMatch(/^MODEL\s+MODES\s+SECONDS\s+QUALITY\s+RESOLUTION\s+FEATURES$/);
    expect(lines[1]).toBe('kling (the default provider)');
    expect(lines[2]).toMatch(/^ {2}kling-v1\s+t2v,i2v\s/);
    const klingAi = lines.indexOf('kling-ai');
    expect(lines[klingAi + 1]).toMatch(/^ {2}kling-v3 \*\s+t2v,i2v\s/);
    expect(lines[klingAi + 2]).toBe('    price  std 720p: 6 cr / $0.024 per s');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(120);
    lines.length = 0;
    expect(await main(['providers', '--provider', 'kling-ai', '--json', ...at()], say)).toBe(0);
    const catalog = JSON.parse(lines.join('\n')) as { providers: { id: string }[] };
    expect(catalog.providers.map((p) => p.id)).toEqual(['kling-ai']);
    await expect(main(['providers', '--provider', 'nope', ...at()], say)).rejects.toThrow(/nope is not an enabled provider/);
  });

  it('cost sums what SUCCEEDED jobs cost by provider and day; --json gives the rows', async () => {
    const jobId = await client().createJob({ provider: 'kling-ai', model: 'kling-v3', prompt: 'a priced fox', resolution: '720p' });
    await client().waitForJob(jobId);
    lines.length = 0;
    expect(await main(['cost', '--provider', 'kling-ai', '--json', ...at()], say)).toBe(0);
    const spend = JSON.parse(lines.join('\n')) as { rows: { day: string; provider: string; jobs: number; credits: number }[] };
    const today = new Date().toISOString().slice(0, 10);
    const row = spend.rows.find((r) => r.day === today && r.provider === 'kling-ai')!;
    expect(row.jobs).toBeGreaterThanOrEqual(1);
    expect(row.credits).toBe(row.jobs * 30); // 6 credits a second, 5 seconds each
    lines.length = 0;
    expect(await main(['cost', ...at()], say)).toBe(0);
    // ESTIMATED only when some job's cost is an estimate.
    expect(lines[0]).toMatch(/^DAY\s+PROVIDER\s+JOBS\s+CREDITS\s+USD(\s+ESTIMATED)?$/);
    expect(lines.some((l) => l.startsWith(`${today}  kling-ai`))).toBe(true);
    expect(lines.some((l) => /^total\s+kling-ai/.test(l))).toBe(true);
    await expect(main(['cost', '--since', 'last week', ...at()], say)).rejects.toThrow(/expected a day that exists, as YYYY-MM-DD/);
    await expect(main(['cost', '--since', '2026-02-31', ...at()], say)).rejects.toThrow(
      /'2026-02-31' is invalid. expected a day that exists/,
    );
    await expect(main(['jobs', '--since', '2026-02-30', ...at()], say)).rejects.toThrow(
      /'2026-02-30' is invalid. expected a day that exists/,
    );
  });

  it('refuses an unknown option as a usage mistake (exit code 2 from the bin)', async () => {
    await expect(main(['generate', 'x', '--colour', 'red', ...at()], say)).rejects.toThrow(/unknown option '--colour'/);
  });

  it('generate --json --no-wait answers the job id; watch follows it; show --json prints the job', async () => {
    lines.length = 0;
    expect(
      await main(['generate', 'a paper boat', '--duration', '5', '--metadata', 'customer=acme', '--json', '--no-wait', ...at()], say),
    ).toBe(0);
    const { jobId } = JSON.parse(lines.join('\n')) as { jobId: string };
    lines.length = 0;
    expect(await main(['watch', jobId, '--json', ...at()], say)).toBe(0);
    const [watched] = JSON.parse(lines.join('\n')) as { status: string; jobId: string }[];
    expect(watched).toMatchObject({ jobId, status: 'SUCCEEDED' });
    lines.length = 0;
    expect(await main(['show', jobId, '--json', ...at()], say)).toBe(0);
    expect(JSON.parse(lines.join('\n'))).toMatchObject({ jobId, status: 'SUCCEEDED', request: { metadata: { customer: 'acme' } } });
  });

  it('jobs lists newest first as a table, or as JSON; --status filters', async () => {
    const jobId = await client().createJob({ prompt: 'a list me job' });
    await client().waitForJob(jobId);
    lines.length = 0;
    expect(await main(['jobs', '--limit', '3', ...at()], say)).toBe(0);
    expect(lines[0]).toMatch(/^JOB\s+STATUS\s+%\s+PROVIDER\/MODEL\s+CREATED\s+COST\s+PROMPT$/);
    expect(lines.length).toBeLessThanOrEqual(4);
    expect(lines.some((line) => line.startsWith(jobId) && line.includes('SUCCEEDED') && line.includes('a list me job'))).toBe(true);
    lines.length = 0;
    expect(await main(['jobs', '--status', 'SUCCEEDED', '--limit', '200', '--json', ...at()], say)).toBe(0);
    const listed = JSON.parse(lines.join('\n')) as { items: { jobId: string; status: string }[] };
    expect(listed.items.every((job) => job.status === 'SUCCEEDED')).toBe(true);
    expect(listed.items.map((job) => job.jobId)).toContain(jobId);
    lines.length = 0;
    expect(await main(['jobs', '--since', '2999-01-01', ...at()], say)).toBe(0);
    expect(lines).toEqual(['no jobs']);
    lines.length = 0;
    expect(await main(['jobs', '--since', new Date().toISOString().slice(0, 10), '--json', ...at()], say)).toBe(0);
    expect((JSON.parse(lines.join('\n')) as { items: { jobId: string }[] }).items.map((job) => job.jobId)).toContain(jobId);
  });

  it('metrics --job: a job that does not exist is said to be none, naming --job (not "no metrics yet")', async () => {
    const missing = 'job_00000000000000000000000000';
    await expect(main(['metrics', '--job', missing, ...at()], say)).rejects.toThrow(`--job ${missing}: no such job`);
    await expect(main(['metrics', '--job', missing, '--json', ...at()], say)).rejects.toThrow('no such job');
    lines.length = 0;
    expect(await main(['generate', 'metrics of one job', '--json', ...at()], say)).toBe(0);
    const { jobId } = JSON.parse(lines.join('\n'));
    lines.length = 0;
    expect(await main(['metrics', '--job', jobId, ...at()], say)).toBe(0);
    expect(lines[0]).toMatch(/^METRIC +DIMENSIONS/);
  });

  it('cancel ends a running job; download saves a finished one, checked against its sha256', async () => {
    const slow = await client().createJob({ prompt: 'a slow one [sim:latency=60000]' });
    lines.length = 0;
    expect(await main(['cancel', slow, '--json', ...at()], say)).toBe(0);
    expect(JSON.parse(lines.join('\n'))).toMatchObject({ jobId: slow, status: 'CANCELLED' });
    await expect(main(['cancel', slow, ...at()], say)).rejects.toMatchObject({ status: 409, error: { code: 'ALREADY_FINISHED' } });

    const done = await client().createJob({ prompt: 'a quick one' });
    const job = await client().waitForJob(done);
    const out = join(freshDataDir(), 'quick.mp4');
    lines.length = 0;
    expect(await main(['download', done, '--out', out, ...at()], say)).toBe(0);
    expect(lines).toEqual([`saved    ${out}`]);
    expect(sha256(out)).toBe(job.outputs.video.sha256);
    // Not a usage mistake (exit 2 and the hint to --help): the job did not succeed (exit 1).
    const notSucceeded = await main(['download', slow, ...at()], say).catch((error: unknown) => error);
    expect((notSucceeded as Error).message).toMatch(/only a SUCCEEDED job has a video/);
    expect(notSucceeded).not.toBeInstanceOf(UsageError);
  });
});

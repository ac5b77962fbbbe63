// `npm start`: serve the local stack until Ctrl-C. The npm script starts Node with a young generation capped at 16 MB
// a semi-space (--max-semi-space-size=16: V8 would grow it to 128 MB under load), MALLOC_ARENA_MAX=2 and fixed
// MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ (glibc reads them once, at process start, so they cannot be set
// from here): without them glibc keeps tens of MB of freed native memory in per-thread arenas, and the RSS of a
// stack that runs for days creeps although its V8 heap is flat (docs/architecture.md, aws-local-stepfunctions
// quirks, "Nothing is ever released"). `npm run bench` runs its stacks with the same settings; the values are
// local/malloc-env.json, which cli/bin.mjs also gives the CLI it re-runs under Node 24 (an embedded stack's process).
import { LOCAL_SIGV4_CREDENTIALS, LOCAL_SIGV4_REGION } from './sigv4.ts';
import { curlCommand, generateCommand } from './suggested-commands.ts';
import { startLocalStack } from './stack.ts';

const stack = await startLocalStack().catch((error: NodeJS.ErrnoException) => {
  const reason =
    error.code === 'EADDRINUSE'
      ? `port ${process.env.KLINGFLOW_PORT ?? 3000} is in use (another local stack, or another program): stop it, or choose a free port with KLINGFLOW_PORT=<port> npm start`
      : error.message;
  process.stderr.write(`klingflow: the local stack could not start: ${reason}\n`);
  process.exit(1);
});

const suggestionContext = {
  url: stack.url,
  auth: stack.auth,
  token: stack.token,
  ...(process.env.KLINGFLOW_DATA_DIR ? { chosenDataDir: stack.dataDir } : {}),
};
const curl = curlCommand(suggestionContext);
process.stdout.write(
  [
    `klingflow local stack ready at ${stack.url}`,
    ...(stack.auth === 'sigv4'
      ? [
          `  auth     SigV4 (service execute-api, region ${LOCAL_SIGV4_REGION}) with the local test credentials:`,
          `           AWS_ACCESS_KEY_ID=${LOCAL_SIGV4_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${LOCAL_SIGV4_CREDENTIALS.secretAccessKey}`,
          '  console  not in SigV4 mode (a browser sends a bearer token): start without KLINGFLOW_API_AUTH=sigv4',
        ]
      : [`  console  ${stack.url}/#token=${encodeURIComponent(stack.token)}`, `  token    ${stack.token}`]),
    `  data     ${stack.dataDir}`,
    `  notices  ${stack.outbox.file}`,
    ...(stack.simulator ? [`  provider simulator at ${stack.simulator.url}`] : []),
    ...(stack.redriven.length ? [`  resumed ${stack.redriven.length} unfinished job(s)`] : []),
    '',
    // The CLI finds this stack by its data folder: one set by KLINGFLOW_DATA_DIR must be set for the CLI too.
    `  Generate a video:  ${generateCommand(suggestionContext)}`,
    `  Or over HTTP:      ${curl[0]}`,
    `                       ${curl[1]}`,
    '',
  ].join('\n'),
);

// A reader that has gone (`npm start | tee`, where Ctrl-C ends tee too) must not end the stack before it has stopped
// and released its data folder: a line that cannot be written is dropped, not thrown (EPIPE).
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping the local stack (data is kept in ${stack.dataDir})\n`);
  void stack.stop().then(() => process.exit(0));
};
// SIGHUP: the terminal closed (its window, or `tmux kill-session`); the stack stops as for Ctrl-C.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));

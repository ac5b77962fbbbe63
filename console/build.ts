// Builds the web console: its TypeScript bundled by esbuild into one ES module, beside the page and its stylesheet.
// In memory, in a few tens of milliseconds, so the local stack builds it when it starts and the CDK app when it
// synthesizes; nothing built is committed. Paths are the site's: `/` is the page, `console/` holds the rest (and the
// deployment's `console/config.json`, written by whoever serves the files).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface ConsoleFile {
  /** Path under the site's root, without a leading slash (`index.html`, `console/app.js`). */
  path: string;
  contentType: string;
  body: Buffer;
}

/** Where the console's config lives, relative to the site's root: `{"apiUrl": "https://…"}`, or `""` for the same origin. */
export const CONSOLE_CONFIG_PATH = 'console/config.json';

let built: ConsoleFile[] | undefined;

/** The console's files (built once per process). */
export function buildConsole(): ConsoleFile[] {
  if (built) return built;
  const result = buildSync({
    entryPoints: [join(HERE, 'src', 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    legalComments: 'none',
    write: false,
    outfile: 'app.js',
    logLevel: 'silent',
  });
  const [script] = result.outputFiles;
  if (!script) throw new Error('esbuild produced no console bundle');
  built = [
    { path: 'index.html', contentType: 'text/html; charset=utf-8', body: readFileSync(join(HERE, 'index.html')) },
    { path: 'console/app.js', contentType: 'text/javascript; charset=utf-8', body: Buffer.from(script.contents) },
    { path: 'console/app.css', contentType: 'text/css; charset=utf-8', body: readFileSync(join(HERE, 'app.css')) },
  ];
  return built;
}

/** The config file of a console whose API is at `apiUrl` (`''`: the page's own origin). */
export function consoleConfig(apiUrl: string): ConsoleFile {
  return { path: CONSOLE_CONFIG_PATH, contentType: 'application/json', body: Buffer.from(JSON.stringify({ apiUrl })) };
}

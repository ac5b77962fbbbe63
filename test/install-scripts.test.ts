// npm's install-script policy (package.json `allowScripts`, npm 11.16+): every dependency in the lockfile that has an
// install script is reviewed there, so `npm ci` prints no "install scripts not yet covered by allowScripts" warning,
// and no entry is left for a package that no longer has one (README, "Set up").
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const manifest = JSON.parse(readFileSync(resolve('package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
const lock = JSON.parse(readFileSync(resolve('package-lock.json'), 'utf8')) as {
  packages: Record<string, { hasInstallScript?: boolean }>;
};

/** The names of the locked packages that have an install script (the project's own entry, '', left out). */
const withInstallScripts = [
  ...new Set(
    Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)),
  ),
].sort();

/** An allowScripts key's package name (`name` or `name@version`, a scope's @ kept). */
const nameOf = (key: string) => key.slice(0, key.indexOf('@', 1) > 0 ? key.indexOf('@', 1) : key.length);

describe('allowScripts', () => {
  it('reviews every locked dependency with an install script, and only those', () => {
    expect(withInstallScripts.length).toBeGreaterThan(0);
    expect(
      Object.keys(manifest.allowScripts ?? {})
        .map(nameOf)
        .sort(),
    ).toEqual(withInstallScripts);
  });
});

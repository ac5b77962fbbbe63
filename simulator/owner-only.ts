// Secret files kept in the data folder (the simulator's loopback key, the local stack's token and secrets) are
// written owner-only (0600); a copy, an editor or a chmod can widen that later, so they are checked at each start.
import { chmodSync, statSync } from 'node:fs';

/**
 * Makes a kept secret file owner-only (0600) again when its mode lets its group or others in, saying so on stderr as
 * `<what> <file> was readable by others (mode 0644): made owner-only (0600)`. A file that cannot be tightened (one of
 * another user) is used as it is, with a line saying so; nothing is thrown. Returns whether the mode was changed.
 */
export function keepOwnerOnly(file: string, what: string): boolean {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) === 0) return false;
  const was = mode.toString(8).padStart(4, '0');
  try {
    chmodSync(file, 0o600);
    process.stderr.write(`${what} ${file} was readable by others (mode ${was}): made owner-only (0600)\n`);
    return true;
  } catch (error) {
    process.stderr.write(
      `${what} ${file} is readable by others (mode ${was}) and could not be made owner-only: ${(error as Error).message}\n`,
    );
    return false;
  }
}

// What one handler invocation is about (its job, and the job's provider once known), kept per asynchronous context so
// that handlers running side by side in one process (the local stack) never mix theirs up. The task-handler wrapper
// opens it; `providerFor` (runtime/providers.ts) fills in the provider; the metrics read it.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Invocation {
  jobId?: string;
  provider?: string;
}

const storage = new AsyncLocalStorage<Invocation>();

/** Runs `work` with `invocation` as the current invocation (a copy: later `noteProvider` calls change only it). */
export function withInvocation<R>(invocation: Invocation, work: () => R): R {
  return storage.run({ ...invocation }, work);
}

/** The current invocation, or an empty one outside any. */
export const currentInvocation = (): Invocation => storage.getStore() ?? {};

/** Records the provider the current invocation talks to (no-op outside an invocation). */
export function noteProvider(provider: string): void {
  const current = storage.getStore();
  if (current) current.provider = provider;
}

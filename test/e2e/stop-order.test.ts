// Stopping the local stack: the workflow runtime stops while the simulated providers' settings are still in the
// environment, so no task that starts during the stop finds its provider without a base URL (which would end its
// job FAILED with a configuration error instead of leaving it for the next start to drive on). The settings are gone
// once the stop has finished, so a stack started again in this process does not take them for the user's own.
import { expect, it } from 'vitest';
import { providerEnv, PROVIDER_ENV_NAMES } from '../../lambdas/aws/env.ts';
import { startTestStack } from './local-stack.ts';

it("stops the workflow runtime before it removes the simulated providers' settings, and removes them", async () => {
  const baseUrlEnv = providerEnv('kling', PROVIDER_ENV_NAMES.baseUrl);
  expect(process.env[baseUrlEnv], 'this test needs kling to be simulated').toBeUndefined();
  const stack = await startTestStack();
  const simulated = process.env[baseUrlEnv];
  expect(simulated).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  const seenAtRuntimeStop: (string | undefined)[] = [];
  const stopRuntime = stack.runtime.stopAll.bind(stack.runtime);
  stack.runtime.stopAll = () => {
    seenAtRuntimeStop.push(process.env[baseUrlEnv]);
    stopRuntime();
  };
  await stack.stop();
  expect(seenAtRuntimeStop).toEqual([simulated]);
  expect(process.env[baseUrlEnv]).toBeUndefined();
}, 120_000);

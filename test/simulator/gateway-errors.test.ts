// Gateway errors: in `html` mode every mount answers `[sim:http<status>]` with a gateway's HTML page instead of the
// provider's JSON, as a load balancer in front of the provider would. Each real adapter submits through it and gets a
// retryable error it can classify, not a crash on a body that is not JSON. The mode is switched at run time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../lambdas/domain/errors.ts';
import { resolveRequest } from '../../lambdas/domain/validation.ts';
import { PROVIDER_IDS } from '../../lambdas/providers/ids.ts';
import { loadAdapters } from '../../lambdas/providers/registry.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { rejectionOf, simulatorContext, submittedMedia } from './helpers.ts';

const getAdapter = await loadAdapters();

const CREDENTIALS = { apiKey: 'gateway-key', accessKey: 'gateway-access', secretKey: 'gateway-secret-key-32-characters!' };

let sim: Simulator;
let submissions = 0;

beforeAll(async () => {
  sim = await startSimulator({ latencyMs: 100 });
});

afterAll(async () => {
  await sim?.close();
});

/** Submits a text-to-video job whose prompt carries `directive` through the provider's real adapter. */
async function submitThrough(provider: string, prompt: string) {
  const capabilities = getAdapter(provider).capabilities;
  const resolution = resolveRequest(
    { provider, prompt },
    { capabilitiesOf: () => capabilities, enabledProviders: [provider], defaultProvider: provider },
  );
  if (!resolution.ok) throw new Error(JSON.stringify(resolution.details));
  const answers: { status: number; contentType: string; body: string }[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    answers.push({ status: response.status, contentType: response.headers.get('content-type') ?? '', body: await response.clone().text() });
    return response;
  };
  const input = {
    jobId: `job_gateway_${provider}_${++submissions}`,
    mode: resolution.mode,
    request: resolution.request,
    media: submittedMedia(resolution.request),
  };
  const outcome = getAdapter(provider).submit(input, simulatorContext(sim, provider, CREDENTIALS, { fetch: recordingFetch }));
  return { outcome, answers };
}

describe('gateway errors', () => {
  it('are switched at run time through /_sim/settings, and a bad mode is refused', async () => {
    const settings = async (body?: unknown) => {
      const response = await fetch(`${sim.url}/_sim/settings`, {
        method: body ? 'POST' : 'GET',
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    expect((await settings()).json).toEqual({ gatewayErrors: 'provider' });
    expect((await settings({ gatewayErrors: 'json' })).status).toBe(422);
    expect((await settings({ gatewayErrors: 'html' })).json).toEqual({ gatewayErrors: 'html' });
    expect((await settings({ gatewayErrors: 'provider' })).json).toEqual({ gatewayErrors: 'provider' });
  });

  it.each(PROVIDER_IDS.map((id) => [id]))(
    '%s: html mode answers with a gateway page, which the adapter reads as a retryable server error',
    async (provider) => {
      sim.setGatewayErrors('html');
      try {
        const { outcome, answers } = await submitThrough(provider, `a fox [sim:http502] (${provider} html)`);
        const error = await rejectionOf(outcome, ProviderError);
        expect(error.kind, error.message).toBe('server');
        expect(error.retryable).toBe(true);
        expect(answers.at(-1)).toMatchObject({ status: 502, contentType: 'text/html' });
        expect(answers.at(-1)?.body).toContain('<title>502 Bad Gateway</title>');
        expect(() => JSON.parse(answers.at(-1)?.body ?? '')).toThrow();
      } finally {
        sim.setGatewayErrors('provider');
      }
    },
  );

  it.each(PROVIDER_IDS.map((id) => [id]))(
    '%s: provider mode answers the same directive in the dialect’s own shape, not the gateway page',
    async (provider) => {
      const { outcome, answers } = await submitThrough(provider, `a fox [sim:http502] (${provider} json)`);
      expect((await rejectionOf(outcome, ProviderError)).kind).toBe('server');
      expect(answers.at(-1)?.status).toBe(502);
      expect(answers.at(-1)?.body).not.toContain('502 Bad Gateway</title>');
    },
  );
});

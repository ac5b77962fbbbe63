// CLI entry: `tsx simulator/main.ts` starts the simulator on 127.0.0.1 and prints its URL on stdout.
// Settings come from KLINGFLOW_SIMULATOR_* environment variables.
import { z } from 'zod';
import { parseSimulatorLimits } from './limits.ts';
import { startSimulator } from './server.ts';

const optionalText = z.string().min(1).optional();
const environment = z.object({
  KLINGFLOW_SIMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  KLINGFLOW_SIMULATOR_LATENCY_MS: z.coerce.number().int().min(0).optional(),
  KLINGFLOW_SIMULATOR_PROGRESS_STEPS: z.coerce.number().int().min(0).optional(),
  KLINGFLOW_SIMULATOR_WEBHOOK_SECRET: optionalText,
  KLINGFLOW_SIMULATOR_API_KEY: optionalText,
  KLINGFLOW_SIMULATOR_ACCESS_KEY: optionalText,
  KLINGFLOW_SIMULATOR_SECRET_KEY: optionalText,
  /** JSON: account limits per dialect, e.g. {"kling": {"maxConcurrent": 3}, "replicate": {"createsPerMinute": 6}}. */
  KLINGFLOW_SIMULATOR_LIMITS: optionalText,
  KLINGFLOW_SIMULATOR_GATEWAY_ERRORS: z.enum(['provider', 'html']).optional(),
  KLINGFLOW_SIMULATOR_DATA_RETENTION_MS: z.coerce.number().int().min(0).optional(),
  /** Where the loopback certificate and key are made at first start and reused (simulator/tls.ts). */
  KLINGFLOW_SIMULATOR_TLS_DIR: z.string().min(1).default('.klingflow/simulator-tls'),
});

const settings = environment.parse(
  Object.fromEntries(Object.entries(process.env).filter(([key, value]) => key.startsWith('KLINGFLOW_SIMULATOR_') && value)),
);

const simulator = await startSimulator({
  port: settings.KLINGFLOW_SIMULATOR_PORT,
  latencyMs: settings.KLINGFLOW_SIMULATOR_LATENCY_MS,
  progressSteps: settings.KLINGFLOW_SIMULATOR_PROGRESS_STEPS,
  webhookSecret: settings.KLINGFLOW_SIMULATOR_WEBHOOK_SECRET,
  gatewayErrors: settings.KLINGFLOW_SIMULATOR_GATEWAY_ERRORS,
  dataRetentionMs: settings.KLINGFLOW_SIMULATOR_DATA_RETENTION_MS,
  tlsDir: settings.KLINGFLOW_SIMULATOR_TLS_DIR,
  credentials: {
    apiKey: settings.KLINGFLOW_SIMULATOR_API_KEY,
    accessKey: settings.KLINGFLOW_SIMULATOR_ACCESS_KEY,
    secretKey: settings.KLINGFLOW_SIMULATOR_SECRET_KEY,
  },
  limits: settings.KLINGFLOW_SIMULATOR_LIMITS ? parseSimulatorLimits(settings.KLINGFLOW_SIMULATOR_LIMITS) : undefined,
});

process.stdout.write(`${simulator.url}\n`);
process.stderr.write(`klingflow provider simulator listening on ${simulator.url} (Ctrl-C to stop)\n`);
process.stderr.write(`its https links: another process trusts them with NODE_EXTRA_CA_CERTS=${simulator.certificateFile}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void simulator.close().then(() => process.exit(0));
  });
}

// What a provider dialect plugs into the simulator: a name and a set of routes over the shared engine.
import type { SimulatorCredentials } from '../auth.ts';
import type { TaskEngine } from '../engine.ts';
import type { GatewayErrorMode, Route } from '../http.ts';

export interface DialectContext {
  engine: TaskEngine;
  /** The simulator's own URL (known once it listens), used for media links. */
  baseUrl(): string;
  /** The same port over TLS (`https://127.0.0.1:<port>`), for providers whose media links are https. */
  secureBaseUrl(): string;
  /** Where this dialect is mounted: `<simulator>/<dialect name>` (what a client uses as the base URL). */
  mountUrl(): string;
  /** When set, requests must carry these credentials (each dialect checks them its own way). */
  credentials?: SimulatorCredentials;
  /** The dialect's callback signing secret, for dialects that sign with a shared secret. */
  webhookSecret?: string;
  /** How `[sim:http<status>]` rejections are answered right now: the dialect's own shape, or a gateway's HTML page. */
  gatewayErrors(): GatewayErrorMode;
  /** How long a provider that removes outputs keeps them after a task ends, in milliseconds. */
  dataRetentionMs: number;
}

export interface Dialect {
  /** The provider id it plays (`kling`, `fal`...); also its mount path. */
  name: string;
  /** Route patterns are written from the dialect's root (`^/v1/...`); the server mounts them under `/<name>`. */
  routes(context: DialectContext): Route[];
  /**
   * Settings the matching adapter needs to talk to this simulator besides its base URL and credentials, by
   * setting name (the local stack exports them as KLINGFLOW_<ID>_<NAME>), e.g. fal's JWKS URL.
   */
  adapterSettings?(context: DialectContext): Record<string, string>;
}

// What a provider dialect plugs into the simulator: a name and a set of routes over the shared engine.
import type { SimulatorCredentials } from '../auth.ts';
import type { TaskEngine } from '../engine.ts';
import type { Route } from '../http.ts';

export interface DialectContext {
  engine: TaskEngine;
  /** The simulator's own URL (known once it listens), used for media links. */
  baseUrl(): string;
  /** Where this dialect is mounted: `<simulator>/<dialect name>` (what a client uses as the base URL). */
  mountUrl(): string;
  /** When set, requests must carry these credentials (each dialect checks them its own way). */
  credentials?: SimulatorCredentials;
  /** The dialect's callback signing secret, for dialects that sign with a shared secret. */
  webhookSecret?: string;
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

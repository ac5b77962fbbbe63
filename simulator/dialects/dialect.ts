// What a provider dialect plugs into the simulator: a name and a set of routes over the shared engine.
import type { SimulatorCredentials } from '../auth.ts';
import type { TaskEngine } from '../engine.ts';
import type { Route } from '../http.ts';

export interface DialectContext {
  engine: TaskEngine;
  /** The simulator's own URL (known once it listens), used for media links. */
  baseUrl(): string;
  credentials?: SimulatorCredentials;
}

export interface Dialect {
  name: string;
  routes(context: DialectContext): Route[];
}

// The HTTP routes (docs/api.md, "Routes"). The CDK API construct and the local front door both build from this
// table, so the two surfaces cannot differ. `auth: false` only for provider callbacks, which carry their own
// signature, share links, which are signed by the deployment itself, and the OpenAPI document, which is public.
import type { HandlerName } from '../workflow/contract.ts';

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** API Gateway path syntax: `{name}` for a path parameter. */
  path: string;
  handler: Extract<HandlerName, 'api' | 'callback'>;
  auth: boolean;
}

export const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/v1/jobs', handler: 'api', auth: true },
  { method: 'GET', path: '/v1/jobs', handler: 'api', auth: true },
  { method: 'GET', path: '/v1/jobs/{jobId}', handler: 'api', auth: true },
  { method: 'DELETE', path: '/v1/jobs/{jobId}', handler: 'api', auth: true },
  { method: 'GET', path: '/v1/jobs/{jobId}/video', handler: 'api', auth: true },
  { method: 'GET', path: '/v1/jobs/{jobId}/thumbnail', handler: 'api', auth: true },
  { method: 'POST', path: '/v1/uploads', handler: 'api', auth: true },
  { method: 'GET', path: '/v1/providers', handler: 'api', auth: true },
  // Public: the published contract (the same as docs/api.md), with nothing about jobs, providers or credentials in it.
  { method: 'GET', path: '/v1/openapi.json', handler: 'api', auth: false },
  { method: 'POST', path: '/v1/callbacks/{provider}/{jobId}', handler: 'callback', auth: false },
  { method: 'GET', path: '/v1/share/{jobId}/{object}', handler: 'api', auth: false },
];

/** `GET /v1/jobs/{jobId}` style route key, as API Gateway writes it in `event.routeKey`. */
export const routeKey = (route: Pick<Route, 'method' | 'path'>): string => `${route.method} ${route.path}`;

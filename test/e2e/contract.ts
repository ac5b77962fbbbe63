// Every answer the end-to-end tests get from the API, checked against the OpenAPI document that same stack serves
// (`GET /v1/openapi.json`): the status must be documented for the route, and a JSON body must match the documented
// schema (ajv, JSON Schema 2020-12, as OpenAPI 3.1 uses). The test helpers (Client.request in local-stack.ts, the
// hostile-input and fuzzing senders) call `expectDocumented` on every answer, so a response the document does not
// describe fails the test that got it.
import { LOCAL_METRICS_PATH } from '../../local/front-door.ts';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import * as addFormatsModule from 'ajv-formats';
import { ROUTES, type Route } from '../../lambdas/http/routes.ts';

// ajv-formats is CommonJS with a default export.
const addFormats = (addFormatsModule as unknown as { default: (ajv: Ajv2020) => Ajv2020 }).default;

interface Checker {
  document: any;
  ajv: Ajv2020;
  validators: Map<string, ValidateFunction>;
}

const checkers = new Map<string, Promise<Checker>>();

/** The document a stack serves, loaded once per stack URL, with ajv ready to check bodies against it. */
export function contractOf(baseUrl: string): Promise<Checker> {
  let checker = checkers.get(baseUrl);
  if (!checker) {
    checker = (async () => {
      const response = await fetch(`${baseUrl}/v1/openapi.json`);
      if (response.status !== 200) throw new Error(`GET /v1/openapi.json answered ${response.status}`);
      const document = (await response.json()) as any;
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      addFormats(ajv);
      ajv.addSchema(document, 'openapi');
      return { document, ajv, validators: new Map() };
    })();
    checkers.set(baseUrl, checker);
  }
  return checker;
}

const compiled = ROUTES.map((route) => ({
  route,
  regex: new RegExp(`^${route.path.replace(/\{\w+\}/g, '[^/]+')}$`),
}));

/** The route a request reached, by method and path (the query left out). */
function routeOf(method: string, path: string): Route | undefined {
  // As the front door (and API Gateway) reads it: dot segments, also percent-encoded (`%2e%2e`), are resolved first.
  let pathname = path.split('?')[0] ?? path;
  try {
    pathname = new URL(path, 'http://127.0.0.1').pathname;
  } catch {
    // not a URL path: matched as written
  }
  return compiled.find(({ route, regex }) => route.method === method.toUpperCase() && regex.test(pathname))?.route;
}

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/**
 * Throws (failing the test) unless the answer is one the document describes: a documented status for the route
 * (or, for a request that reached no route, the error shape), the documented body, and a `location` on a redirect.
 */
export async function expectDocumented(
  baseUrl: string,
  request: { method: string; path: string },
  answer: { status: number; headers: Headers | Record<string, string | null>; text: string },
): Promise<void> {
  // The local stack's own metrics route is not part of the deployed API, so not of its document (docs/api.md).
  if (new URL(`${baseUrl}${request.path}`).pathname === LOCAL_METRICS_PATH) return;
  const { document, ajv, validators } = await contractOf(baseUrl);
  // The path as it went out: fetch resolves dot segments (`/v1/callbacks/../x` is `/v1/x`).
  const route = routeOf(request.method, new URL(`${baseUrl}${request.path}`).pathname);
  const where = `${request.method} ${request.path.slice(0, 120)} → ${answer.status}`;
  let ref: string;
  if (!route) {
    ref = 'openapi#/components/schemas/Error';
  } else {
    const responses = document.paths[route.path]?.[route.method.toLowerCase()]?.responses ?? {};
    const documented = responses[String(answer.status)];
    if (!documented) {
      throw new Error(`${where}: status ${answer.status} is not documented for ${route.method} ${route.path} (${Object.keys(responses)})`);
    }
    const header = (name: string) => (answer.headers instanceof Headers ? answer.headers.get(name) : (answer.headers[name] ?? undefined));
    if (answer.status >= 300 && answer.status < 400 && !header('location')) throw new Error(`${where}: a redirect without location`);
    if (!documented.content) return;
    ref = `openapi#/paths/${pointer(route.path)}/${route.method.toLowerCase()}/responses/${answer.status}/content/${pointer('application/json')}/schema`;
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    throw new Error(`${where}: the body is not JSON: ${answer.text.slice(0, 200)}`);
  }
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: ref });
    validators.set(ref, validate);
  }
  if (!validate(body)) {
    throw new Error(`${where}: the body does not match the document: ${ajv.errorsText(validate.errors)}\n${answer.text.slice(0, 500)}`);
  }
}

// Inspection and control routes for tests, under `/_sim/`.
import type { TaskEngine } from './engine.ts';
import { sendJson, type GatewayErrorMode, type Route } from './http.ts';

/** What `/_sim/settings` changes at run time. */
export interface RuntimeSettings {
  gatewayErrors: GatewayErrorMode;
}

const GATEWAY_MODES: readonly GatewayErrorMode[] = ['provider', 'html'];

export function controlRoutes(engine: TaskEngine, dialects: readonly string[], settings: RuntimeSettings): Route[] {
  return [
    {
      methods: ['GET', 'POST'],
      pattern: /^\/_sim\/settings$/,
      handle: ({ req, res, body }) => {
        if (req.method === 'POST') {
          let asked: unknown;
          try {
            asked = JSON.parse(body || '{}');
          } catch {
            sendJson(res, 400, { error: 'the body must be JSON: {"gatewayErrors": "provider" | "html"}' });
            return;
          }
          const mode = (asked as { gatewayErrors?: unknown }).gatewayErrors;
          if (!GATEWAY_MODES.includes(mode as GatewayErrorMode)) {
            sendJson(res, 422, { error: `gatewayErrors must be one of ${GATEWAY_MODES.join(', ')}` });
            return;
          }
          settings.gatewayErrors = mode as GatewayErrorMode;
        }
        sendJson(res, 200, settings);
      },
    },
    {
      methods: ['GET'],
      pattern: /^\/_sim\/health$/,
      handle: ({ res }) => sendJson(res, 200, { ok: true, dialects, tasks: engine.list().length }),
    },
    {
      methods: ['GET'],
      pattern: /^\/_sim\/tasks$/,
      handle: ({ res, url }) => {
        const filter = {
          dialect: url.searchParams.get('dialect') ?? undefined,
          externalTaskId: url.searchParams.get('external_task_id') ?? undefined,
        };
        sendJson(res, 200, engine.list(filter));
      },
    },
    {
      methods: ['GET'],
      pattern: /^\/_sim\/tasks\/([^/]+)$/,
      handle: ({ res, params }) => {
        const task = engine.get(params[0] ?? '');
        if (task) sendJson(res, 200, task);
        else sendJson(res, 404, { error: 'task not found' });
      },
    },
    {
      methods: ['GET'],
      pattern: /^\/_sim\/rejections$/,
      handle: ({ res }) => sendJson(res, 200, engine.rejections()),
    },
    {
      methods: ['GET'],
      pattern: /^\/_sim\/peak-in-flight$/,
      handle: ({ res }) => sendJson(res, 200, engine.peakInFlight()),
    },
    {
      methods: ['POST'],
      pattern: /^\/_sim\/reset$/,
      handle: ({ res }) => {
        engine.reset();
        sendJson(res, 200, { ok: true });
      },
    },
  ];
}

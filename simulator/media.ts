// Serves the produced video (a real H.264 MP4 fixture) and its thumbnail for succeeded tasks, applying
// the download faults (`expired-url`, `truncated-download`).
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { TaskEngine, SimTask } from './engine.ts';
import { sendText, type Route } from './http.ts';

const fixtures = {
  video: { file: 'sample.mp4', contentType: 'video/mp4' },
  thumbnail: { file: 'thumbnail.jpg', contentType: 'image/jpeg' },
} as const;

type MediaKind = keyof typeof fixtures;

const fixtureCache = new Map<MediaKind, Buffer>();

export function fixtureBytes(kind: MediaKind): Buffer {
  let bytes = fixtureCache.get(kind);
  if (!bytes) {
    bytes = readFileSync(new URL(`./fixtures/${fixtures[kind].file}`, import.meta.url));
    fixtureCache.set(kind, bytes);
  }
  return bytes;
}

export function videoUrl(baseUrl: string, task: SimTask): string {
  return `${baseUrl}/media/${task.taskId}.mp4`;
}

export function thumbnailUrl(baseUrl: string, task: SimTask): string {
  return `${baseUrl}/media/${task.taskId}.jpg`;
}

export function mediaRoutes(engine: TaskEngine): Route[] {
  return [
    {
      methods: ['GET', 'HEAD'],
      pattern: /^\/media\/([^/]+)\.(mp4|jpg)$/,
      handle: ({ req, res, params }) => {
        const [taskId = '', extension] = params;
        serveMedia(engine, res, taskId, extension === 'mp4' ? 'video' : 'thumbnail', req.method === 'HEAD');
      },
    },
  ];
}

function serveMedia(engine: TaskEngine, res: ServerResponse, taskId: string, kind: MediaKind, headOnly: boolean): void {
  const task = engine.get(taskId);
  // A task that did not succeed (or was cancelled) has no video; removed outputs are gone.
  if (task?.status !== 'succeeded' || task.outputsRemovedAt !== null) {
    sendText(res, 404, 'Not Found');
    return;
  }
  engine.countMediaRequest(taskId);
  if (task.faults.expiredUrl) {
    sendText(res, 403, 'Forbidden: the signed URL has expired');
    return;
  }
  if (kind === 'video' && !headOnly && task.videoDownloads < task.faults.failedDownloads) {
    task.videoDownloads += 1;
    sendText(res, 500, 'Internal Server Error');
    return;
  }
  const bytes = fixtureBytes(kind);
  res.writeHead(200, {
    'content-type': fixtures[kind].contentType,
    'content-length': String(bytes.length),
    'cache-control': 'private, max-age=2592000',
  });
  if (headOnly) {
    res.end();
    return;
  }
  if (kind === 'video') {
    task.videoDownloads += 1;
    if (task.videoDownloads <= task.faults.truncatedDownloads) {
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.destroy());
      return;
    }
  }
  res.end(bytes);
}

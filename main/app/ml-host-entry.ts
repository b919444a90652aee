// Runs inside an Electron utilityProcess: the whole engine (SQLite, sharp, onnxruntime) lives here so inference never stalls the UI.
import { createDispatch, errorPayload } from '../api/handlers';
import { Engine } from '../engine/engine';
import { startServer } from '../server/server';
import type { FromHost, ToHost } from './ml-protocol';

interface ParentPort {
  on(event: 'message', listener: (e: { data: ToHost }) => void): void;
  postMessage(message: FromHost): void;
}

const port = (process as unknown as { parentPort: ParentPort }).parentPort;
const engine = new Engine('electron');
const dispatch = createDispatch(engine);

engine.events.onAny((event, payload) => port.postMessage({ type: 'event', event, payload }));

port.on('message', ({ data }) => {
  if (data.type === 'call') {
    dispatch(data.method, data.input).then(
      (result) => port.postMessage({ type: 'result', id: data.id, result }),
      (err) => port.postMessage({ type: 'result', id: data.id, error: errorPayload(err) }),
    );
  } else if (data.type === 'media') {
    engine.getMedia(data.kind, data.itemId).then(
      (m) => port.postMessage({ type: 'media', id: data.id, body: new Uint8Array(m.body), contentType: m.contentType }),
      (err) => port.postMessage({ type: 'media', id: data.id, error: errorPayload(err) }),
    );
  }
});

const projectFlag = process.argv.indexOf('--project');
const project = projectFlag >= 0 ? process.argv[projectFlag + 1] : undefined;

/** The engine's API on loopback, so a CLI command run on the open project attaches here instead of writing it too. */
async function publishApi(): Promise<void> {
  const server = await startServer({ engine, staticDir: '/nonexistent-winnow-api-only' });
  engine.publishApi(`http://127.0.0.1:${server.port}`, server.token);
}

// Read-only while another live process owns the project; the engine takes it over once that process is done.
publishApi().then(() => (project ? engine.openProject(project, { access: 'owner-or-read-only' }) : undefined)).then(
  () => port.postMessage({ type: 'ready' }),
  (err) => {
    port.postMessage({ type: 'event', event: 'host.error', payload: errorPayload(err) });
    port.postMessage({ type: 'ready' });
  },
);

import type { Engine } from '../engine/engine';
import { type RunningServer, startServer } from '../server/server';
import { openBrowser } from './open-browser';
import { ensureRendererBuilt } from './renderer-build';

/** Serves the UI and API for an engine on 127.0.0.1 until Ctrl-C, then closes both cleanly (jobs stay resumable). */
export async function serveBrowserMode(engine: Engine, options: { port?: string; open: boolean }): Promise<RunningServer> {
  const staticDir = await ensureRendererBuilt();
  const server = await startServer({ engine, port: options.port ? Number(options.port) : undefined, staticDir });
  if (options.open) openBrowser(server.url);
  const shutdown = async () => {
    await server.close();
    await engine.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
  return server;
}

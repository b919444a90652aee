import { describeOwner } from '../api/contract';
import type { Engine } from '../engine/engine';
import { type RunningServer, startServer } from '../server/server';
import { openBrowser } from './open-browser';
import { ensureRendererBuilt } from './renderer-build';

/**
 * Opens a project for the UI: as its owner, or, while another live process owns it, read-only with one
 * line saying who owns it (jobs and edits then belong to that process).
 */
export async function openForUi(engine: Engine, dir: string): Promise<void> {
  const project = await engine.openProject(dir, { access: 'owner-or-read-only' });
  const owner = project.owner();
  if (owner) process.stderr.write(`${project.dir} is open in ${describeOwner(owner)}: showing it read-only until that process is done\n`);
}

/** Serves the UI and API for an engine on 127.0.0.1 until Ctrl-C, then closes both cleanly (jobs stay resumable). */
export async function serveBrowserMode(engine: Engine, options: { port?: string; open: boolean }): Promise<RunningServer> {
  const staticDir = await ensureRendererBuilt();
  const server = await startServer({ engine, port: options.port ? Number(options.port) : undefined, staticDir });
  // Other processes (a CLI command) that open this project attach to this server instead of writing themselves.
  engine.publishApi(`http://127.0.0.1:${server.port}`, server.token);
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

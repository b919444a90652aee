import { existsSync } from 'node:fs';
import path from 'node:path';
import { APP_ROOT } from '../engine/paths';
import { defaultStaticDir } from '../server/server';

/** Builds the renderer with Vite when a checkout has not built it yet (browser mode needs the files). */
export async function ensureRendererBuilt(): Promise<string> {
  const dir = defaultStaticDir();
  if (existsSync(path.join(dir, 'index.html'))) return dir;
  process.stderr.write('Building the user interface (first run)…\n');
  const { build } = await import('vite');
  await build({ configFile: path.join(APP_ROOT, 'renderer', 'vite.config.ts'), logLevel: 'warn' });
  return dir;
}

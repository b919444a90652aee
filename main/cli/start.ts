import { spawn } from 'node:child_process';
import path from 'node:path';
import { Engine } from '../engine/engine';
import { APP_ROOT } from '../engine/paths';
import type { CommandContext } from './commands';
import { ensureDemoProject } from './demo';
import { obtainElectron } from './electron-binary';
import { projectDir } from './project-arg';
import { openForUi, serveBrowserMode } from './browser-mode';

/** `npm start`: the desktop window when an Electron binary can be had, else the same UI in browser mode. */
export async function startApp(ctx: CommandContext): Promise<number> {
  const dir = projectDir(ctx.values.project) ?? (await ensureDemoProject());
  const electron = process.env.WINNOW_BROWSER_MODE ? { path: null, reason: 'WINNOW_BROWSER_MODE is set' } : obtainElectron();
  if (electron.path) {
    const { buildApp } = await import('../../scripts/build-app');
    await buildApp();
    const child = spawn(electron.path, [path.join(APP_ROOT, 'dist', 'main', 'app', 'main.cjs'), '--project', dir], { stdio: 'inherit' });
    return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 0)));
  }
  const engine = new Engine('browser');
  await openForUi(engine, dir);
  const server = await serveBrowserMode(engine, { port: ctx.values.port, open: !ctx.values['no-open'] });
  console.log(`No Electron window (${electron.reason}); Winnow runs in browser mode at ${server.url}`);
  return -1;
}


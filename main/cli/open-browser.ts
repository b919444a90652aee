import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface BrowserLaunch { cmd: string; args: string[]; redirectFile: string }

/**
 * The launcher's argv is visible to every local user (`ps`), so it gets a private file that redirects to the tokenised URL
 * (mode 0600 in a 0700 folder), never the URL itself.
 */
export function prepareBrowserLaunch(url: string, platform: NodeJS.Platform = process.platform): BrowserLaunch {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'winnow-open-'));
  const redirectFile = path.join(dir, 'open.html');
  const attr = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  writeFileSync(redirectFile, `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${attr}"><title>Winnow</title>\n`, { mode: 0o600 });
  const cmd = platform === 'darwin' ? 'open' : platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = platform === 'win32' ? ['/c', 'start', '', redirectFile] : [redirectFile];
  return { cmd, args, redirectFile };
}

/** Opens the default browser when the desktop has one; silently does nothing on a headless machine. */
export function openBrowser(url: string): void {
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return;
  try {
    const { cmd, args } = prepareBrowserLaunch(url);
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no browser launcher: the printed URL is enough
  }
}

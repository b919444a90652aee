import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** The Electron executable if the electron package has one, without triggering its download. */
export function electronBinary(): { path: string | null; reason: string } {
  let pkgDir: string;
  try {
    pkgDir = path.dirname(require.resolve('electron/package.json'));
  } catch {
    return { path: null, reason: 'the electron package is not installed' };
  }
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, 'electron');
    return existsSync(p) ? { path: p, reason: '' } : { path: null, reason: `ELECTRON_OVERRIDE_DIST_PATH has no binary at ${p}` };
  }
  const pathFile = path.join(pkgDir, 'path.txt');
  if (existsSync(pathFile)) {
    const p = path.join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
    if (existsSync(p)) return { path: p, reason: '' };
  }
  return { path: null, reason: 'the Electron binary has not been downloaded' };
}

/** Tries the electron package's own downloader once, bounded in time; returns the binary or why there is none. */
export function obtainElectron(timeoutMs = 90_000): { path: string | null; reason: string } {
  const present = electronBinary();
  if (present.path) return present;
  let installer: string;
  try {
    installer = path.join(path.dirname(require.resolve('electron/package.json')), 'install.js');
  } catch {
    return present;
  }
  const res = spawnSync(process.execPath, [installer], { stdio: 'pipe', timeout: timeoutMs, encoding: 'utf8' });
  const after = electronBinary();
  if (after.path) return after;
  const lines = (res.stderr || res.stdout || res.error?.message || '').split('\n').map((l) => l.trim()).filter(Boolean);
  // The installer prints a stack; the line naming the error says why (offline, proxy, 404…).
  const cause = lines.find((l) => /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ECONNRESET|status code/.test(l));
  const why = (cause ?? lines.find((l) => /^[A-Za-z]*Error\b/.test(l)) ?? lines[0] ?? (res.signal ? `timed out after ${timeoutMs / 1000}s` : 'download failed'))
    .replace(/^\[cause\]:\s*/, '');
  return { path: null, reason: `the Electron binary could not be downloaded (${why.slice(0, 160)})` };
}

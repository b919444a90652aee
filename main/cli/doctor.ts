import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cudaProviderInstalled } from '../engine/vision/providers';
import { electronBinary } from './electron-binary';

const require = createRequire(import.meta.url);

export interface Check { name: string; ok: boolean; detail: string; advice?: string }

function check(name: string, fn: () => string, advice?: string): Check {
  try {
    return { name, ok: true, detail: fn() };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message.split('\n')[0], advice };
  }
}

export function hasNvidiaGpu(): boolean {
  if (process.platform !== 'linux' && process.platform !== 'win32') return false;
  if (existsSync('/proc/driver/nvidia/version')) return true;
  try {
    execFileSync('nvidia-smi', ['-L'], { stdio: 'pipe', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}


/** What works on this machine and what would make Winnow faster, in plain words. */
export async function runDoctor(): Promise<Check[]> {
  const checks: Check[] = [];
  checks.push(check('node', () => `${process.version} on ${process.platform}-${process.arch}`));
  checks.push(check('better-sqlite3', () => {
    const Database = require('better-sqlite3') as typeof import('better-sqlite3');
    const db = new Database(':memory:');
    const v = (db.prepare('select sqlite_version() v').get() as { v: string }).v;
    db.close();
    return `SQLite ${v}`;
  }, 'reinstall with `npm ci` (it compiles better-sqlite3 for this Node)'));
  checks.push(check('sharp', () => `libvips ${(require('sharp') as { versions: { vips: string } }).versions.vips}`, 'reinstall sharp: `npm ci`'));
  checks.push(check('onnxruntime-node', () => {
    const ort = require('onnxruntime-node') as { listSupportedBackends(): { name: string; bundled: boolean }[] };
    return `execution providers: ${ort.listSupportedBackends().map((b) => (b.bundled ? b.name : `${b.name} (not installed)`)).join(', ')}`;
  }, 'reinstall onnxruntime-node: `npm ci`'));
  const gpu = hasNvidiaGpu();
  const cuda = cudaProviderInstalled();
  checks.push({
    name: 'cuda provider', ok: !gpu || cuda,
    detail: gpu ? (cuda ? 'NVIDIA GPU found; CUDA execution provider installed' : 'NVIDIA GPU found; CUDA execution provider NOT installed: embedding runs on the CPU') : 'no NVIDIA GPU found; the CPU provider is used',
    advice: gpu && !cuda ? 'run `winnow gpu install` to download the CUDA provider (several hundred MB) and embed several times faster' : undefined,
  });
  const electron = electronBinary();
  checks.push({
    name: 'electron', ok: electron.path !== null,
    detail: electron.path ? `binary at ${electron.path}` : `no Electron binary (${electron.reason}); \`winnow start\` serves the UI in browser mode`,
  });
  return checks;
}

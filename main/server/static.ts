import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { safeDecode } from './auth';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2',
};

/** Serves the built renderer; unknown paths fall back to index.html (single-page app). */
export async function readStatic(root: string, urlPath: string): Promise<{ body: Buffer; type: string } | 'bad_path' | null> {
  const decoded = safeDecode(urlPath);
  if (decoded === null || decoded.includes('\0')) return 'bad_path';
  const rel = path.normalize(decoded).replace(/^([/\\])+/, '');
  const file = path.join(root, rel || 'index.html');
  if (!file.startsWith(root + path.sep) && file !== root) return null;
  for (const candidate of [file, path.join(root, 'index.html')]) {
    try {
      const body = await readFile(candidate);
      return { body, type: TYPES[path.extname(candidate)] ?? 'application/octet-stream' };
    } catch {
      // try the fallback
    }
  }
  return null;
}

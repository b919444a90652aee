// sha256 of a model's ONNX graphs (names + bytes, in name order), so a dataset card can name exactly
// what produced its signals. Hashing a 350 MB graph takes seconds, so the digest is remembered in a small
// JSON file keyed by the folder and each graph's name, size and mtime: a changed graph is hashed again.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

type Remembered = Record<string, { key: string; sha256: string }>;

async function fingerprint(onnxDir: string, names: string[]): Promise<string> {
  const parts = await Promise.all(names.map(async (n) => {
    const s = await stat(path.join(onnxDir, n));
    return [n, s.size, s.mtimeMs];
  }));
  return JSON.stringify(parts);
}

async function readRemembered(file: string): Promise<Remembered> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Remembered;
  } catch {
    return {}; // missing or unreadable: hash again and rewrite it
  }
}

/** The graphs' digest; `cacheFile` (optional) remembers it between processes. */
export async function hashGraphs(dir: string, cacheFile?: string): Promise<string> {
  const onnxDir = path.join(path.resolve(dir), 'onnx');
  const names = (await readdir(onnxDir)).filter((n) => n.endsWith('.onnx')).sort();
  const key = await fingerprint(onnxDir, names);
  const remembered = cacheFile ? await readRemembered(cacheFile) : {};
  if (remembered[onnxDir]?.key === key) return remembered[onnxDir].sha256;
  const hash = createHash('sha256');
  for (const f of names) {
    hash.update(f);
    for await (const chunk of createReadStream(path.join(onnxDir, f))) hash.update(chunk as Buffer);
  }
  const sha256 = hash.digest('hex');
  if (cacheFile) {
    // Another process may write the same file: write a private temp file and rename it into place.
    await mkdir(path.dirname(cacheFile), { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ ...(await readRemembered(cacheFile)), [onnxDir]: { key, sha256 } }));
    await rename(tmp, cacheFile);
  }
  return sha256;
}

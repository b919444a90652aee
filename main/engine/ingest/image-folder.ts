import { closeSync, openSync } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { IMAGE_EXTENSIONS, type IngestEntry, type IngestSource } from './entry';
import { parseJsonGuarded } from './json-depth';
import { readSmallSync } from './small-file';

const CAPTION_SIDECARS = ['.txt', '.caption', '.json'] as const;
/** Sidecars larger than this are read asynchronously; captions are small and read with one synchronous call. */
const SYNC_SIDECAR_BYTES = 64 * 1024;

/** `key` is the path under the root with '/' separators, `stem` the file name without its extension (for sidecars). */
type Walked = { file: string; key: string; stem: string; siblings: Set<string>; outside?: boolean };

/** A folder of images, walked recursively in sorted order; a caption comes from a sidecar of the same stem. */
export class ImageFolderSource implements IngestSource {
  constructor(readonly root: string) {}

  async count(signal?: AbortSignal): Promise<number> {
    let n = 0;
    for await (const files of this.walk(this.root, signal)) n += files.length;
    return n;
  }

  async *entries(skip: number, signal?: AbortSignal): AsyncIterable<IngestEntry> {
    let position = 0;
    for await (const files of this.walk(this.root, signal)) {
      // A resumed import skips whole folders without looking at their files.
      if (position + files.length <= skip) {
        position += files.length;
        continue;
      }
      for (const walked of files) if (position++ >= skip) yield await this.entry(walked);
    }
  }

  private async entry({ file, key, stem, siblings, outside }: Walked): Promise<IngestEntry> {
    if (outside) return { type: 'bad', key, location: key, kind: 'outside_source', message: `${key} is a link to a file outside the source folder; only files under it are imported` };
    try {
      const caption = await readSidecar(file, stem, siblings);
      return { type: 'file', key, file, caption: caption?.text ?? null, captionOrigin: caption?.origin ?? null, extra: null };
    } catch (err) {
      // The image is still good: imported without a caption, the sidecar's problem recorded.
      const problems = [{ kind: 'bad_caption', message: `caption sidecar unreadable (${(err as Error).message}): imported without a caption`, location: key }];
      return { type: 'file', key, file, caption: null, captionOrigin: null, extra: null, problems };
    }
  }

  /**
   * Yields the image files of one directory at a time, in sorted order (one directory's names are held at a
   * time: needed to sort and to find sidecars). Per directory, not per file: counting a folder of 100k images
   * then costs its readdir calls, not 100k async-generator steps.
   */
  private async *walk(dir: string, signal?: AbortSignal, realRoot?: string, keyPrefix = ''): AsyncIterable<Walked[]> {
    signal?.throwIfAborted();
    realRoot ??= await realpath(this.root);
    // Keys and paths are built per directory (path.relative per file showed in import profiles).
    const dirPrefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
    const dirents = await readdir(dir, { withFileTypes: true });
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const names = new Set(dirents.filter((d) => d.isFile() || d.isSymbolicLink()).map((d) => d.name));
    let files: Walked[] = [];
    for (const d of dirents) {
      if (d.name.startsWith('.')) continue;
      const full = dirPrefix + d.name;
      const key = keyPrefix + d.name;
      if (d.isDirectory()) {
        // Files before a subfolder come before its files, as in a per-file walk.
        if (files.length) yield files;
        files = [];
        yield* this.walk(full, signal, realRoot, `${key}/`);
        continue;
      }
      const ext = path.extname(d.name);
      if (!IMAGE_EXTENSIONS.has(ext.toLowerCase())) continue;
      const stem = d.name.slice(0, d.name.length - ext.length);
      if (d.isFile()) files.push({ file: full, key, stem, siblings: names });
      else if (d.isSymbolicLink()) {
        // Linked files are imported only when they resolve inside the source: the media server serves nothing else.
        const target = await realpath(full).catch(() => null);
        const isFile = target !== null && (await stat(target)).isFile();
        const rel = target === null ? '..' : path.relative(realRoot, target);
        if (isFile || target === null) files.push({ file: full, key, stem, siblings: names, outside: rel.startsWith('..') || path.isAbsolute(rel) });
      }
    }
    if (files.length) yield files;
  }
}

async function readSidecar(file: string, stem: string, siblings: Set<string>): Promise<{ text: string; origin: string } | null> {
  for (const ext of CAPTION_SIDECARS) {
    if (!siblings.has(stem + ext)) continue;
    const raw = await readCaptionFile(file.slice(0, file.length - path.basename(file).length) + stem + ext);
    if (ext !== '.json') return { text: raw.trim(), origin: `sidecar${ext}` };
    const parsed = parseJsonGuarded(raw);
    if ('error' in parsed) throw new Error(`${stem}.json: ${parsed.error}`);
    const json = (parsed.value ?? {}) as Record<string, unknown>;
    const text = [json.caption, json.text, json.TEXT].find((v) => typeof v === 'string');
    if (typeof text === 'string') return { text: text.trim(), origin: 'sidecar.json' };
  }
  return null;
}

/** Small files in one synchronous read (a thread-pool round trip per tiny caption dominated imports). */
async function readCaptionFile(file: string): Promise<string> {
  const fd = openSync(file, 'r');
  try {
    const small = readSmallSync(fd, SYNC_SIDECAR_BYTES);
    if (small) return small.toString('utf8');
  } finally {
    closeSync(fd);
  }
  return readFile(file, 'utf8');
}

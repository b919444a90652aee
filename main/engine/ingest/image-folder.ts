import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { IMAGE_EXTENSIONS, type IngestEntry, type IngestSource } from './entry';
import { type FileReads, inThreadReads } from './file-reads';
import { parseJsonGuarded } from './json-depth';
import type { TextRead } from './read-files.mjs';

const CAPTION_SIDECARS = ['.txt', '.caption', '.json'] as const;
/** Sidecars are read this many files at a time (one worker round trip), one chunk ahead of the entries yielded. */
const CHUNK = 256;

/** `key` is the path under the root with '/' separators, `stem` the file name without its extension (for sidecars). */
type Walked = { file: string; key: string; stem: string; siblings: Set<string>; outside?: boolean };

/** A folder of images, walked recursively in sorted order; a caption comes from a sidecar of the same stem. */
export class ImageFolderSource implements IngestSource {
  /** `reads` reads the caption sidecars (an import passes its worker's). */
  constructor(readonly root: string, private readonly reads: FileReads = inThreadReads) {}

  async count(signal?: AbortSignal): Promise<number> {
    return this.countIn(this.root, await realpath(this.root), signal);
  }

  /**
   * How many files walk() yields under `dir`, counted without what only entries need (sorting, keys, sidecar
   * names): the count runs beside the import on the same thread.
   */
  private async countIn(dir: string, realRoot: string, signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    const dirPrefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
    let n = 0;
    for (const d of await readdir(dir, { withFileTypes: true })) {
      const found = await walked(d, dirPrefix, realRoot);
      if (found === 'folder') n += await this.countIn(dirPrefix + d.name, realRoot, signal);
      else if (found) n++;
    }
    return n;
  }

  async *entries(skip: number, signal?: AbortSignal): AsyncIterable<IngestEntry> {
    for await (const entries of this.entryBatches(skip, signal)) yield* entries;
  }

  async *entryBatches(skip: number, signal?: AbortSignal): AsyncIterable<IngestEntry[]> {
    // The sidecars of the next chunk are being read while this chunk's entries are used.
    let ahead: { files: Walked[]; captions: Promise<(Sidecar | null)[]> } | null = null;
    for await (const files of this.chunks(skip, signal)) {
      const next = { files, captions: this.captions(files) };
      if (ahead) yield chunkEntries(ahead.files, await ahead.captions);
      ahead = next;
    }
    if (ahead) yield chunkEntries(ahead.files, await ahead.captions);
  }

  /** The walk from position `skip` on, in chunks of at most CHUNK files. */
  private async *chunks(skip: number, signal?: AbortSignal): AsyncIterable<Walked[]> {
    let position = 0;
    for await (const files of this.walk(this.root, signal)) {
      // A resumed import skips whole folders without looking at their files.
      if (position + files.length <= skip) {
        position += files.length;
        continue;
      }
      const from = Math.max(0, skip - position);
      position += files.length;
      for (let i = from; i < files.length; i += CHUNK) yield files.slice(i, i + CHUNK);
    }
  }

  /** Each file's sidecar as read (null without one). */
  private async captions(files: Walked[]): Promise<(Sidecar | null)[]> {
    const sidecars = files.map(sidecarOf);
    const texts = await this.reads.texts(sidecars.filter((s) => s !== null).map((s) => s.file));
    let k = 0;
    return sidecars.map((s) => (s === null ? null : { ...s, read: texts[k++] }));
  }

  /**
   * Yields the image files of one directory at a time, in sorted order (one directory's names are held at a
   * time: needed to sort and to find sidecars). Per directory, not per file: a folder of 100k images then costs
   * its readdir calls, not 100k async-generator steps.
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
      const found = await walked(d, dirPrefix, realRoot);
      if (found === 'folder') {
        // Files before a subfolder come before its files, as in a per-file walk.
        if (files.length) yield files;
        files = [];
        yield* this.walk(dirPrefix + d.name, signal, realRoot, `${keyPrefix + d.name}/`);
      } else if (found) {
        const file: Walked = { file: dirPrefix + d.name, key: keyPrefix + d.name, stem: d.name.slice(0, d.name.length - found.ext.length), siblings: names };
        if (found.outside !== undefined) file.outside = found.outside;
        files.push(file);
      }
    }
    if (files.length) yield files;
  }
}

/**
 * The extension of an image file's name (as written), or null for any other name. Not path.extname, which
 * parses a whole path (it showed in import profiles).
 */
function extensionOf(name: string): string | null {
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot) : '';
  return IMAGE_EXTENSIONS.has(ext.toLowerCase()) ? ext : null;
}

/**
 * What the walk (and its count) makes of a directory entry: a folder to descend into, an image file with its
 * extension (and, for a link, whether it leads outside the source), or nothing (hidden names, sidecars and other
 * files, links to folders). Sidecars and other files are passed over before any string is built for them.
 */
async function walked(d: Dirent, dirPrefix: string, realRoot: string): Promise<'folder' | { ext: string; outside?: boolean } | null> {
  if (d.name.startsWith('.')) return null;
  if (d.isDirectory()) return 'folder';
  const ext = extensionOf(d.name);
  if (ext === null) return null;
  if (d.isFile()) return { ext };
  if (!d.isSymbolicLink()) return null;
  const link = await linkedFile(dirPrefix + d.name, realRoot);
  return link && { ext, outside: link.outside };
}

/**
 * A symbolic link's part in the walk: null when it names no file (a folder), else whether it leads outside the
 * source; a dangling link counts as outside. Linked files are imported only when they resolve inside the
 * source: the media server serves nothing else.
 */
async function linkedFile(link: string, realRoot: string): Promise<{ outside: boolean } | null> {
  const target = await realpath(link).catch(() => null);
  if (target === null) return { outside: true };
  if (!(await stat(target)).isFile()) return null;
  const rel = path.relative(realRoot, target);
  return { outside: rel.startsWith('..') || path.isAbsolute(rel) };
}

function chunkEntries(files: Walked[], captions: (Sidecar | null)[]): IngestEntry[] {
  const out = new Array<IngestEntry>(files.length);
  for (let i = 0; i < files.length; i++) out[i] = entryOf(files[i], captions[i]);
  return out;
}

type SidecarExt = (typeof CAPTION_SIDECARS)[number];
type Sidecar = { file: string; ext: SidecarExt; read: TextRead };

/** The sidecar a caption comes from: the first of CAPTION_SIDECARS present beside the image. */
function sidecarOf({ file, stem, siblings, outside }: Walked): Omit<Sidecar, 'read'> | null {
  if (outside) return null;
  const ext = CAPTION_SIDECARS.find((e) => siblings.has(stem + e));
  return ext === undefined ? null : { file: file.slice(0, file.length - path.basename(file).length) + stem + ext, ext };
}

function entryOf({ file, key, stem, outside }: Walked, sidecar: Sidecar | null): IngestEntry {
  if (outside) return { type: 'bad', key, location: key, kind: 'outside_source', message: `${key} is a link to a file outside the source folder; only files under it are imported` };
  try {
    const caption = sidecar === null ? null : sidecarCaption(sidecar.read, stem, sidecar.ext);
    return { type: 'file', key, file, caption: caption?.text ?? null, captionOrigin: caption?.origin ?? null, extra: null };
  } catch (err) {
    // The image is still good: imported without a caption, the sidecar's problem recorded.
    const problems = [{ kind: 'bad_caption', message: `caption sidecar unreadable (${(err as Error).message}): imported without a caption`, location: key }];
    return { type: 'file', key, file, caption: null, captionOrigin: null, extra: null, problems };
  }
}

function sidecarCaption(read: TextRead, stem: string, ext: SidecarExt): { text: string; origin: string } | null {
  if ('error' in read) throw new Error(read.error);
  if (ext !== '.json') return { text: read.text.trim(), origin: `sidecar${ext}` };
  const parsed = parseJsonGuarded(read.text);
  if ('error' in parsed) throw new Error(`${stem}.json: ${parsed.error}`);
  const json = (parsed.value ?? {}) as Record<string, unknown>;
  const text = [json.caption, json.text, json.TEXT].find((v) => typeof v === 'string');
  return typeof text === 'string' ? { text: text.trim(), origin: 'sidecar.json' } : null;
}

import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { IMAGE_EXTENSIONS, type EntryAnnotation, type EntryProblem, type IngestEntry, type IngestSource } from './entry';
import { parseYoloLine } from './validate-yolo';

interface ListEntry { file: string; split: string; missing?: string; orphan?: boolean }
interface DataYaml { path?: string; train?: string | string[]; val?: string | string[]; test?: string | string[]; names?: string[] | Record<string, string> }

/** The data.yaml of a YOLO folder (or the file itself). */
export function yoloYaml(location: string): string {
  if (location.endsWith('.yaml') || location.endsWith('.yml')) return location;
  return [path.join(location, 'data.yaml'), path.join(location, 'data.yml')].find((f) => existsSync(f)) ?? path.join(location, 'data.yaml');
}

/**
 * YOLO detect/segment folders described by `data.yaml`: images per split (folders or .txt lists), labels next to them under
 * `labels/` (`class cx cy w h` boxes or `class x1 y1 x2 y2 ...` polygons, normalized 0..1). The split is kept as metadata.
 */
export class YoloSource implements IngestSource {
  readonly root: string;
  private readonly yamlFile: string;
  private list: Promise<ListEntry[]> | null = null;
  private names: string[] = [];

  constructor(location: string) {
    this.yamlFile = yoloYaml(location);
    this.root = path.dirname(this.yamlFile);
  }

  private images(): Promise<ListEntry[]> {
    this.list ??= (async () => {
      // Loaded on first use (a dynamic import), so commands that never read this format start without it.
      const { default: YAML } = await import('yaml');
      const data = (YAML.parse(await readFile(this.yamlFile, 'utf8')) ?? {}) as DataYaml;
      this.names = Array.isArray(data.names) ? data.names.map(String)
        : data.names ? Object.entries(data.names).sort((a, b) => Number(a[0]) - Number(b[0])).map(([, v]) => String(v)) : [];
      const base = data.path ? path.resolve(this.root, data.path) : this.root;
      const out: ListEntry[] = [];
      for (const split of ['train', 'val', 'test'] as const) {
        const specs = data[split] === undefined ? [] : Array.isArray(data[split]) ? data[split] : [data[split]];
        for (const spec of specs as string[]) {
          const target = path.resolve(base, spec);
          // A split data.yaml names but the folder lacks: one warning, so a missing `val` is not mistaken for an empty one.
          if (!existsSync(target)) { out.push({ file: target, split, missing: spec }); continue; }
          const isDir = (await stat(target)).isDirectory();
          const files = isDir ? await walkImages(target)
            : (await readFile(target, 'utf8')).split('\n').map((l) => l.trim()).filter(Boolean).map((l) => path.resolve(base, l));
          for (const file of files) out.push({ file, split });
          // Label files with no image: their boxes would vanish without a word.
          const labelDir = isDir ? labelFolder(target) : null;
          if (labelDir && existsSync(labelDir)) {
            const labelled = new Set(files.map(labelPath));
            for (const label of await walkFiles(labelDir, '.txt')) {
              if (!labelled.has(label) && path.basename(label) !== 'classes.txt') out.push({ file: label, split, orphan: true });
            }
          }
        }
      }
      return out;
    })();
    return this.list;
  }

  async count(): Promise<number> {
    return (await this.images()).length;
  }

  async *entries(skip: number, signal?: AbortSignal): AsyncIterable<IngestEntry> {
    const list = await this.images();
    for (let i = skip; i < list.length; i++) {
      signal?.throwIfAborted();
      const { file, split, missing, orphan } = list[i];
      if (missing !== undefined) {
        const location = `${path.basename(this.yamlFile)}:${split}`;
        yield { type: 'bad', key: location, location, kind: 'missing_split', severity: 'warning', message: `${split} split ${missing} named in ${path.basename(this.yamlFile)} does not exist` };
        continue;
      }
      const rel = path.relative(this.root, file);
      const key = rel.split(path.sep).join('/');
      if (orphan) {
        yield { type: 'bad', key, location: key, kind: 'orphan_label', severity: 'warning', message: `${key} has no image next to it under images/: its labels are not imported` };
        continue;
      }
      if (rel.startsWith('..') || path.isAbsolute(rel)) { yield { type: 'bad', key, location: key, kind: 'outside_source', message: `${file} lies outside the dataset folder` }; continue; }
      const labelFile = labelPath(file);
      const annotations: EntryAnnotation[] = [];
      const problems: EntryProblem[] = [];
      if (labelFile && existsSync(labelFile)) {
        const labelRel = path.relative(this.root, labelFile).split(path.sep).join('/');
        const lines = (await readFile(labelFile, 'utf8')).split('\n');
        lines.forEach((line, n) => {
          const parsed = parseYoloLine(line, this.names, `${labelRel}:line ${n + 1}`);
          if (parsed && 'annotation' in parsed) annotations.push(parsed.annotation);
          else if (parsed) problems.push(parsed.problem);
        });
      }
      const extra: Record<string, unknown> = { split };
      yield { type: 'file', key, file, caption: null, captionOrigin: null, extra, provenance: { source: 'yolo', shard: split, key }, annotations, problems };
    }
  }
}

/** images/…/x.jpg → labels/…/x.txt (the last `images` folder in the path). */
export function labelPath(image: string): string | null {
  const parts = image.split(path.sep);
  const at = parts.lastIndexOf('images');
  if (at < 0) return null;
  parts[at] = 'labels';
  const out = parts.join(path.sep);
  return out.slice(0, out.length - path.extname(out).length) + '.txt';
}

/** images/…/train → labels/…/train (the last `images` folder in the path), or null. */
function labelFolder(imageDir: string): string | null {
  const parts = imageDir.split(path.sep);
  const at = parts.lastIndexOf('images');
  if (at < 0) return null;
  parts[at] = 'labels';
  return parts.join(path.sep);
}

const walkImages = (dir: string) => walkFiles(dir, ...IMAGE_EXTENSIONS);

async function walkFiles(dir: string, ...extensions: string[]): Promise<string[]> {
  const out: string[] = [];
  const ents = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of ents) {
    if (d.name.startsWith('.')) continue;
    const full = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...(await walkFiles(full, ...extensions)));
    else if (d.isFile() && extensions.includes(path.extname(d.name).toLowerCase())) out.push(full);
  }
  return out;
}

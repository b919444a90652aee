import { existsSync, statSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SourceT } from '../../domain/project';
import type { Project } from '../project';
import { ApiError } from '../../domain/errors';
import { CocoSource, cocoRoot } from './coco';
import type { IngestSource } from './entry';
import type { FileReads } from './file-reads';
import { HfImageFolderSource, imageFolderUnits } from './hf-imagefolder';
import { ImageFolderSource } from './image-folder';
import { ManifestSource } from './manifest';
import { ParquetSource } from './parquet';
import { WebDatasetSource } from './webdataset';
import { YoloSource, yoloYaml } from './yolo';

/** `reads` reads caption sidecars for the sources that have them (an import passes its read worker). */
export function openSource(kind: SourceT['kind'], location: string, reads?: FileReads): IngestSource {
  switch (kind) {
    case 'folder': return new ImageFolderSource(location, reads);
    case 'jsonl': case 'csv': return new ManifestSource(location, kind);
    case 'webdataset': return new WebDatasetSource(location);
    case 'parquet': return new ParquetSource(location);
    case 'hf-imagefolder': return new HfImageFolderSource(location);
    case 'coco': return new CocoSource(location);
    case 'yolo': return new YoloSource(location);
  }
}

/** The folder media may be served from for a source at `location` (a missing location stays itself, never widens to its parent). */
export function sourceRoot(kind: SourceT['kind'], location: string): string {
  if (kind === 'coco') return cocoRoot(location);
  if (kind === 'yolo') return path.dirname(yoloYaml(location));
  if (kind === 'folder' || kind === 'hf-imagefolder') return location;
  if (kind === 'jsonl' || kind === 'csv') return path.dirname(location);
  const isFile = existsSync(location) && !statSync(location).isDirectory();
  return isFile ? path.dirname(location) : location;
}

/**
 * Each source's media root, derived from the source's own kind and path, not read from the stored root column: a project
 * file edited to set a root of `/` must not let media serving or an export read arbitrary files.
 */
export function sourceRoots(project: Pick<Project, 'sources'>): Map<number, string> {
  return new Map([...project.sources.locations()].map(([id, s]) => [id, sourceRoot(s.kind, s.path)]));
}

/** Decides the kind of a path the user picked: a folder by what it holds, or a file by its extension (and, for JSON, content). */
export async function detectSourceKind(location: string): Promise<SourceT['kind']> {
  let info;
  try {
    info = await stat(location);
  } catch {
    throw new ApiError('bad_input', `${location} does not exist`);
  }
  if (info.isDirectory()) {
    const names = await readdir(location);
    if (names.includes('data.yaml') || names.includes('data.yml')) return 'yolo';
    if (names.some((n) => n.toLowerCase().endsWith('.tar'))) return 'webdataset';
    if ((await imageFolderUnits(location)).length) return 'hf-imagefolder';
    if (names.some((n) => n.toLowerCase().endsWith('.parquet')) && !names.some((n) => /\.(jpe?g|png|webp)$/i.test(n))) return 'parquet';
    return 'folder';
  }
  const ext = path.extname(location).toLowerCase();
  const base = path.basename(location).toLowerCase();
  if (ext === '.tar') return 'webdataset';
  if (ext === '.parquet') return 'parquet';
  if (ext === '.yaml' || ext === '.yml') return 'yolo';
  if (ext === '.json' && (await looksLikeCoco(location))) return 'coco';
  if (base === 'metadata.jsonl' || base === 'metadata.csv') return ext === '.csv' ? 'csv' : 'jsonl';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  throw new ApiError('bad_input', `${location} is not a folder or a file Winnow reads (.jsonl, .csv, .tar, .parquet, COCO .json, YOLO data.yaml)`);
}

async function looksLikeCoco(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead).toString('utf8');
    return /"(images|annotations|categories)"\s*:/.test(head) || bytesRead === buf.length;
  } finally {
    await handle.close();
  }
}

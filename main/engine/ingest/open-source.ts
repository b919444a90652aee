import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { SourceT } from '../../api/contract';
import { ApiError } from '../../api/contract';
import type { IngestSource } from './entry';
import { ImageFolderSource } from './image-folder';
import { ManifestSource } from './manifest';

export function openSource(kind: SourceT['kind'], location: string): IngestSource {
  if (kind === 'folder') return new ImageFolderSource(location);
  return new ManifestSource(location, kind);
}

/** Decides the kind of a path the user picked: a folder, or a manifest by its extension. */
export async function detectSourceKind(location: string): Promise<SourceT['kind']> {
  let info;
  try {
    info = await stat(location);
  } catch {
    throw new ApiError('bad_input', `${location} does not exist`);
  }
  if (info.isDirectory()) return 'folder';
  const ext = path.extname(location).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  throw new ApiError('bad_input', `${location} is neither a folder nor a .jsonl/.csv manifest`);
}

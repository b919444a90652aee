import { ApiError } from '../../domain/errors';
import type { Project } from '../project';
import { clipRetrievalFormat } from './clip-retrieval';
import { cocoFormat } from './coco';
import { imageFolderFormat } from './imagefolder';
import { manifestFormat } from './manifest';
import { parquetFormat } from './parquet';
import type { ExportFormatSpec } from './types';
import { webdatasetFormat } from './webdataset';
import { yoloFormat } from './yolo';

/** Every export format, in the order the UI lists them (parquet reads the project's signal names). */
export function exportFormats(project: Project): ExportFormatSpec[] {
  return [webdatasetFormat, parquetFormat(project), imageFolderFormat, cocoFormat, yoloFormat, manifestFormat, clipRetrievalFormat(project)];
}

export function exportFormat(project: Project, id: string): ExportFormatSpec {
  const all = exportFormats(project);
  const spec = all.find((f) => f.id === id);
  if (!spec) throw new ApiError('bad_input', `unknown export format "${id}" (known: ${all.map((f) => f.id).join(', ')})`);
  return spec;
}

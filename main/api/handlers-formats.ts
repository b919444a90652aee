import type { Engine } from '../engine/engine';
import { previewExport, validateExport } from '../engine/export/export-job';
import { exportFormats } from '../engine/export/formats';
import { countPendingDownloads, downloadStatuses } from '../engine/ingest/download-job';
import { ApiError } from './contract';
import type { HandlersFor } from './handlers';
import type { formatMethods } from './methods/formats';

export function formatHandlers(engine: Engine): HandlersFor<keyof typeof formatMethods> {
  const project = () => engine.requireProject();
  return {
    'export.formats': () => exportFormats(project()).map(({ id, name, description, needsImages, options }) => ({ id, name, description, needsImages, options })),
    'export.preview': ({ format, selection, options }) => {
      try {
        return previewExport(project(), format, selection, options);
      } catch (err) {
        if (err instanceof ApiError) throw err;
        throw new ApiError('bad_input', (err as Error).message);
      }
    },
    'export.start': async ({ format, dest, selection, options }) => {
      const params = await validateExport(project(), { format, dest, selection, options });
      return { jobId: project().jobs.start('export', params).id, dest: params.dest, options: params.options };
    },
    'downloads.start': ({ sourceId, options }) => {
      const p = project();
      if (sourceId !== undefined && !p.sources.get(sourceId)) throw new ApiError('not_found', `no source ${sourceId}`);
      const pending = countPendingDownloads(p, sourceId ?? null);
      return { jobId: p.jobs.start('download', { sourceId: sourceId ?? null, options }).id, pending };
    },
    'downloads.status': () => downloadStatuses(project()),
  };
}

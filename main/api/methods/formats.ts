import { z } from 'zod';
import { DownloadOptions } from '../../domain/downloads';

export { DownloadOptions, type DownloadOptionsT } from '../../domain/downloads';

export const ExportOption = z.object({
  name: z.string(),
  label: z.string(),
  type: z.enum(['boolean', 'number', 'string', 'enum']),
  default: z.union([z.boolean(), z.number(), z.string(), z.null()]),
  description: z.string(),
  choices: z.array(z.string()).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
});

export const ExportFormatInfo = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  needsImages: z.boolean(),
  options: z.array(ExportOption),
});

export const ExportPreview = z.object({
  format: z.string(),
  total: z.number().int(),
  selected: z.number().int(),
  removedBySelection: z.number().int(),
  withoutImage: z.number().int(),
  willWrite: z.number().int(),
  annotations: z.object({ kept: z.number().int(), rejected: z.number().int(), proposed: z.number().int() }),
});

const formatId = z.string().min(1).max(40);
const selection = z.string().trim().min(1).max(120).nullable().default(null);
const options = z.record(z.string().max(60), z.union([z.boolean(), z.number(), z.string(), z.null()])).default({});

/** Export (formats, preview, start) and URL downloads. */
export const formatMethods = {
  'export.formats': () => ({ input: z.object({}).strict(), output: z.array(ExportFormatInfo) }),
  'export.preview': () => ({
    input: z.object({ format: formatId, selection, options }).strict(),
    output: ExportPreview,
  }),
  'export.start': () => ({
    input: z.object({ format: formatId, dest: z.string().min(1).max(4096), selection, options }).strict(),
    /** `options` as the format typed and filled them (defaults included). */
    output: z.object({ jobId: z.number().int(), dest: z.string(), options: z.record(z.string(), z.unknown()) }),
  }),
  'downloads.start': () => ({
    input: z.object({ sourceId: z.number().int().positive().optional(), options: DownloadOptions.default(DownloadOptions.parse({})) }).strict(),
    output: z.object({ jobId: z.number().int(), pending: z.number().int() }),
  }),
  /** URL items per download status (ok, http_404, timeout, ...). */
  'downloads.status': () => ({ input: z.object({}).strict(), output: z.record(z.string(), z.number().int()) }),
} as const;

export type ExportFormatInfoT = z.output<typeof ExportFormatInfo>;
export type ExportPreviewT = z.output<typeof ExportPreview>;

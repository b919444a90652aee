import type { ColumnSource, ParquetWriter } from 'hyparquet-writer';
import { loadParquetLib, type ParquetLib } from './lazy-libs';
import type { Project } from '../project';
import { portableFields, urlOf, type PortableFields } from './portable';
import { Tally } from './tally';
import { COMMON_OPTIONS, type ExportFormatSpec, type ExportRecord, type FormatWriter, type WriterContext, type WriterSummary } from './types';

type BasicType = NonNullable<ColumnSource['type']>;
interface Col { name: string; type: BasicType; get(r: ExportRecord, bytes: Buffer | null, f: PortableFields): unknown }

/** Chosen scores are DOUBLE columns named `score:<signal>` (the prefix tells an importer which columns are scores). */
export const scoreColumn = (name: string) => `score:${name}`;

/** Signal names in the project (the curation `signals` table, when it exists). */
export function signalNames(project: Project): string[] {
  const exists = project.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'signals'`).get();
  return exists ? (project.db.prepare('SELECT DISTINCT name FROM signals ORDER BY name').pluck().all() as string[]) : [];
}

/** The signal names the `scores` option asks for ('' none, '*' every signal the project has). */
export function chosenScores(project: Project, option: unknown): string[] {
  const raw = String(option ?? '').trim();
  if (!raw) return [];
  if (raw === '*') return signalNames(project);
  return [...new Set(raw.split(',').map((s) => s.trim()).filter(Boolean))];
}

/** One parquet file (row group by row group): caption, url, size, hash, metadata, every signal as a column, annotations, optional image bytes. */
export function parquetFormat(project: Project): ExportFormatSpec {
  return {
    id: 'parquet',
    name: 'Parquet',
    description: 'data.parquet with caption, url, metadata, labels, objects and chosen scores per row; image bytes optional',
    needsImages: false,
    options: [
      ...COMMON_OPTIONS,
      { name: 'includeImages', label: 'Embed image bytes', type: 'boolean', default: false, description: 'Embed image bytes in an "image" column' },
      { name: 'rowGroupSize', label: 'Rows per row group', type: 'number', default: 1000, min: 1, max: 1_000_000, description: 'Rows per row group' },
    ],
    create: async (ctx) => new ParquetExportWriter(ctx, chosenScores(project, ctx.options.scores), await loadParquetLib()),
  };
}

class ParquetExportWriter implements FormatWriter {
  private readonly cols: Col[];
  private readonly writer: ParquetWriter;
  private rows: unknown[][] = [];
  private readonly tally: Tally;

  constructor(private readonly ctx: WriterContext, scoreNames: string[], { fileWriter, ParquetWriter, schemaFromColumnData }: ParquetLib) {
    const json = (v: unknown) => (v === null || v === undefined || (Array.isArray(v) && !v.length) || (typeof v === 'object' && !Object.keys(v as object).length) ? null : JSON.stringify(v));
    this.cols = [
      { name: 'key', type: 'STRING', get: (r) => r.item.key },
      { name: 'caption', type: 'STRING', get: (r) => r.item.caption },
      { name: 'url', type: 'STRING', get: urlOf },
      { name: 'uri', type: 'STRING', get: (r) => r.item.uri },
      { name: 'width', type: 'INT32', get: (r) => r.item.width },
      { name: 'height', type: 'INT32', get: (r) => r.item.height },
      { name: 'format', type: 'STRING', get: (r) => r.item.format },
      { name: 'sha256', type: 'STRING', get: (r) => r.item.sha256 },
      { name: 'metadata', type: 'STRING', get: (r) => json(r.item.extra) },
      { name: 'provenance', type: 'STRING', get: (r) => json(r.provenance) },
      { name: 'labels', type: 'STRING', get: (_r, _b, f) => json(f.labels) },
      { name: 'objects', type: 'STRING', get: (_r, _b, f) => json(f.objects) },
      ...scoreNames.map((s): Col => ({ name: scoreColumn(s), type: 'DOUBLE', get: (_r, _b, f) => f.scores[s] ?? null })),
      ...(ctx.options.includeImages ? [{ name: 'image', type: 'BYTE_ARRAY' as BasicType, get: (_r: ExportRecord, b: Buffer | null) => (b ? new Uint8Array(b) : null) }] : []),
    ];
    this.tally = new Tally([
      'one row per item: key, caption (null when none), url, uri (the original file), width, height, format, sha256, source metadata (JSON), provenance (JSON)',
      'image-level labels with confidence/state/origin (labels, JSON) and boxes and masks as COCO RLE with score/state/origin (objects, JSON)',
      `chosen scores as DOUBLE columns: ${scoreNames.length ? scoreNames.map(scoreColumn).join(', ') : 'none chosen'}`,
      ctx.options.includeImages ? 'image bytes (image column)' : 'no image bytes (includeImages=false): rows point at the original files by uri / url',
    ]);
    this.tally.file('data.parquet');
    const schema = schemaFromColumnData({ columnData: this.cols.map((c) => ({ name: c.name, type: c.type, data: [] })) });
    this.writer = new ParquetWriter({ writer: fileWriter(ctx.file('data.parquet')), schema, createdBy: 'winnow' });
  }

  async add(r: ExportRecord): Promise<void> {
    const bytes = this.ctx.options.includeImages ? await r.bytes() : null;
    if (this.ctx.options.includeImages && !bytes) { this.tally.skipped++; return; }
    const f = portableFields(r, this.tally);
    this.rows.push(this.cols.map((c) => c.get(r, bytes, f)));
    this.tally.row('data.parquet');
    this.tally.item(r.source, r.item.caption);
    if (this.rows.length >= (this.ctx.options.rowGroupSize as number)) this.flush();
  }

  private flush(): void {
    if (!this.rows.length) return;
    const rows = this.rows;
    this.writer.write({ columnData: this.cols.map((c, j) => ({ name: c.name, type: c.type, data: rows.map((r) => r[j]) as unknown[] as ColumnSource['data'] })), rowGroupSize: rows.length });
    this.rows = [];
  }

  async finish(): Promise<WriterSummary> {
    this.flush();
    this.writer.finish();
    this.tally.notes.push(`columns: ${this.cols.map((c) => c.name).join(', ')}`);
    return this.tally.summary();
  }
}

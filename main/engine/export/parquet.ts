import { fileWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';
import type { Project } from '../project';
import { COMMON_OPTIONS, type ExportFormatSpec, type ExportRecord, type FormatWriter, type WriterContext, type WriterSummary } from './types';

type BasicType = NonNullable<ColumnSource['type']>;
interface Col { name: string; type: BasicType; get(r: ExportRecord, bytes: Buffer | null): unknown }

/** Signal names in the project (the curation `signals` table, when it exists). */
export function signalNames(project: Project): string[] {
  const exists = project.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'signals'`).get();
  return exists ? (project.db.prepare('SELECT DISTINCT name FROM signals ORDER BY name').pluck().all() as string[]) : [];
}

export const signalColumn = (name: string) => `signal_${name.replace(/[^A-Za-z0-9_]+/g, '_')}`;

/** One parquet file (row group by row group): caption, url, size, hash, metadata, every signal as a column, annotations, optional image bytes. */
export function parquetFormat(project: Project): ExportFormatSpec {
  return {
    id: 'parquet',
    name: 'Parquet',
    description: 'data.parquet with caption, url, metadata, signals and annotations per row; image bytes optional',
    needsImages: false,
    options: [
      ...COMMON_OPTIONS,
      { name: 'includeImages', label: 'Embed image bytes', type: 'boolean', default: false, description: 'Embed image bytes in an "image" column' },
      { name: 'rowGroupSize', label: 'Rows per row group', type: 'number', default: 1000, min: 1, max: 1_000_000, description: 'Rows per row group' },
    ],
    create: (ctx) => new ParquetExportWriter(ctx, project),
  };
}

class ParquetExportWriter implements FormatWriter {
  private readonly cols: Col[];
  private readonly writer: ParquetWriter;
  private rows: unknown[][] = [];
  private readonly signalStmt;
  private readonly summary: WriterSummary = { written: 0, skipped: 0, files: ['data.parquet'], notes: [] };

  constructor(private readonly ctx: WriterContext, project: Project) {
    const signals = signalNames(project);
    this.signalStmt = signals.length ? project.db.prepare('SELECT name, value FROM signals WHERE item_id = ?') : null;
    const url = (r: ExportRecord) => (typeof r.item.extra?.url === 'string' ? r.item.extra.url : /^https?:/i.test(r.item.uri) ? r.item.uri : null);
    this.cols = [
      { name: 'key', type: 'STRING', get: (r) => r.item.key },
      { name: 'caption', type: 'STRING', get: (r) => r.item.caption },
      { name: 'url', type: 'STRING', get: url },
      { name: 'uri', type: 'STRING', get: (r) => r.item.uri },
      { name: 'width', type: 'INT32', get: (r) => r.item.width },
      { name: 'height', type: 'INT32', get: (r) => r.item.height },
      { name: 'format', type: 'STRING', get: (r) => r.item.format },
      { name: 'sha256', type: 'STRING', get: (r) => r.item.sha256 },
      { name: 'metadata', type: 'STRING', get: (r) => (r.item.extra ? JSON.stringify(r.item.extra) : null) },
      { name: 'provenance', type: 'STRING', get: (r) => (r.provenance ? JSON.stringify(r.provenance) : null) },
      { name: 'annotations', type: 'STRING', get: (r) => (r.annotations.length ? JSON.stringify(r.annotations.map(({ kind, label, score, bbox, rle, origin, state }) => ({ kind, label, score, bbox, rle, origin, state }))) : null) },
      ...signals.map((s): Col => ({ name: signalColumn(s), type: 'DOUBLE', get: () => null })),
      ...(ctx.options.includeImages ? [{ name: 'image', type: 'BYTE_ARRAY' as BasicType, get: (_r: ExportRecord, b: Buffer | null) => (b ? new Uint8Array(b) : null) }] : []),
    ];
    const schema = schemaFromColumnData({ columnData: this.cols.map((c) => ({ name: c.name, type: c.type, data: [] })) });
    this.writer = new ParquetWriter({ writer: fileWriter(ctx.file('data.parquet')), schema, createdBy: 'winnow' });
    this.signalIndex = new Map(signals.map((s, i) => [s, this.cols.findIndex((c) => c.name === signalColumn(s))]));
  }

  private readonly signalIndex: Map<string, number>;

  async add(r: ExportRecord): Promise<void> {
    const bytes = this.ctx.options.includeImages ? await r.bytes() : null;
    const row = this.cols.map((c) => c.get(r, bytes));
    if (this.signalStmt) {
      for (const s of this.signalStmt.all(r.item.id) as { name: string; value: number }[]) {
        const at = this.signalIndex.get(s.name);
        if (at !== undefined && at >= 0) row[at] = s.value;
      }
    }
    this.rows.push(row);
    this.summary.written++;
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
    this.summary.notes.push(`columns: ${this.cols.map((c) => c.name).join(', ')}`);
    return this.summary;
  }
}

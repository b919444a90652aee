import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { COMMON_OPTIONS, type ExportFormatSpec, type ExportRecord, type FormatWriter, type WriterContext, type WriterSummary, extensionOf, pad } from './types';

/** Writes lines to a file with backpressure: memory stays flat however many rows. */
export class LineWriter {
  private readonly stream: WriteStream;
  constructor(file: string) {
    this.stream = createWriteStream(file);
  }
  async write(line: string): Promise<void> {
    if (!this.stream.write(line)) await once(this.stream, 'drain');
  }
  async close(): Promise<void> {
    this.stream.end();
    await once(this.stream, 'close');
  }
}

const csvCell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const CSV_COLUMNS = ['path', 'caption', 'key', 'width', 'height', 'sha256', 'url', 'metadata'];

/** A CSV or JSONL manifest (path, caption, metadata), with the images copied next to it under images/ (or referenced by URL). */
export const manifestFormat: ExportFormatSpec = {
  id: 'manifest',
  name: 'CSV / JSONL manifest',
  description: 'manifest.jsonl or manifest.csv with path, caption and metadata; images copied to images/',
  needsImages: false,
  options: [
    ...COMMON_OPTIONS,
    { name: 'format', label: 'Manifest type', type: 'enum', default: 'jsonl', choices: ['jsonl', 'csv'], description: 'Manifest file type' },
    { name: 'copyImages', label: 'Copy images', type: 'boolean', default: true, description: 'Copy images into images/ (off: the manifest points at the original files/URLs)' },
  ],
  create: (ctx) => new ManifestWriter(ctx),
};

class ManifestWriter implements FormatWriter {
  private readonly out: LineWriter;
  private readonly csv: boolean;
  private readonly summary: WriterSummary = { written: 0, skipped: 0, files: [], notes: [] };
  private dirMade = false;

  constructor(private readonly ctx: WriterContext) {
    this.csv = ctx.options.format === 'csv';
    const name = this.csv ? 'manifest.csv' : 'manifest.jsonl';
    this.out = new LineWriter(ctx.file(name));
    this.summary.files.push(name);
    if (this.csv) void this.out.write(`${CSV_COLUMNS.join(',')}\n`);
  }

  async add(r: ExportRecord): Promise<void> {
    const url = typeof r.item.extra?.url === 'string' ? r.item.extra.url : /^https?:/i.test(r.item.uri) ? r.item.uri : null;
    let ref: string | null = url ?? r.item.uri;
    if (this.ctx.options.copyImages) {
      const bytes = await r.bytes();
      if (bytes) {
        if (!this.dirMade) { await mkdir(this.ctx.file('images'), { recursive: true }); this.dirMade = true; }
        ref = `images/${pad(r.index, 9)}.${extensionOf(r.item.format)}`;
        await writeFile(this.ctx.file(ref), bytes);
      } else if (!url) { this.summary.skipped++; return; }
    }
    const extra = { ...(r.item.extra ?? {}) };
    delete extra.url;
    if (this.csv) {
      const row = [ref, r.item.caption, r.item.key, r.item.width, r.item.height, r.item.sha256, url, Object.keys(extra).length ? extra : null];
      await this.out.write(`${row.map(csvCell).join(',')}\n`);
    } else {
      await this.out.write(`${JSON.stringify({ path: ref, caption: r.item.caption, key: r.item.key, width: r.item.width, height: r.item.height, sha256: r.item.sha256, ...(url && { url }), ...extra })}\n`);
    }
    this.summary.written++;
  }

  async finish(): Promise<WriterSummary> {
    await this.out.close();
    return this.summary;
  }
}

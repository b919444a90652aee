import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { pack, type Pack } from 'tar-stream';
import { IMAGE_OPTIONS, prepareImage } from './image';
import { COMMON_OPTIONS, type ExportFormatSpec, type ExportRecord, type FormatWriter, type WriterContext, type WriterSummary, extensionOf, pad } from './types';

interface ShardRow { key: string; url: string | null; caption: string | null; status: string; error_message: string | null; width: number | null; height: number | null; original_width: number | null; original_height: number | null; sha256: string | null }

/** img2dataset's output layout: `NNNNN.tar` (KEY.jpg/.txt/.json), `NNNNN.parquet` and `NNNNN_stats.json` per shard. */
export const webdatasetFormat: ExportFormatSpec = {
  id: 'webdataset',
  name: 'WebDataset (img2dataset layout)',
  description: 'Tar shards with KEY.jpg, KEY.txt and KEY.json per sample, a parquet and _stats.json per shard',
  needsImages: true,
  options: [
    ...COMMON_OPTIONS,
    { name: 'samplesPerShard', label: 'Samples per shard', type: 'number', default: 10000, min: 1, max: 1_000_000, description: 'Samples per tar shard' },
    ...IMAGE_OPTIONS,
  ],
  create: (ctx) => new WebDatasetWriter(ctx),
};

class WebDatasetWriter implements FormatWriter {
  private shard = -1;
  private inShard = 0;
  private tar: Pack | null = null;
  private out: Promise<void> | null = null;
  private rows: ShardRow[] = [];
  private started = Date.now();
  private readonly perShard: number;
  private readonly keyDigits: number;
  private summary: WriterSummary = { written: 0, skipped: 0, files: [], notes: [] };

  constructor(private readonly ctx: WriterContext) {
    this.perShard = ctx.options.samplesPerShard as number;
    this.keyDigits = Math.max(1, Math.ceil(Math.log10(this.perShard)));
  }

  async add(r: ExportRecord): Promise<void> {
    const bytes = await r.bytes();
    if (!bytes) { this.summary.skipped++; return; }
    if (!this.tar || this.inShard >= this.perShard) await this.openShard();
    const key = `${pad(this.shard, 5)}${pad(this.inShard, this.keyDigits)}`;
    const img = await prepareImage(bytes, extensionOf(r.item.format), r.item.width, r.item.height, this.ctx.options);
    const url = typeof r.item.extra?.url === 'string' ? r.item.extra.url : /^https?:/i.test(r.item.uri) ? r.item.uri : null;
    const row: ShardRow = {
      key, url, caption: r.item.caption, status: 'success', error_message: null, width: img.width, height: img.height,
      original_width: img.original.width, original_height: img.original.height, sha256: img.data === bytes ? r.item.sha256 : null,
    };
    const json = { ...(r.item.extra ?? {}), ...row, winnow: { id: r.item.id, key: r.item.key, source_sha256: r.item.sha256 } };
    await this.entry(`${key}.${img.ext}`, img.data);
    if (r.item.caption !== null) await this.entry(`${key}.txt`, Buffer.from(r.item.caption));
    await this.entry(`${key}.json`, Buffer.from(JSON.stringify(json)));
    this.rows.push(row);
    this.inShard++;
    this.summary.written++;
  }

  private entry(name: string, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.tar!.entry({ name, size: data.length, mtime: new Date(0) }, data, (err) => (err ? reject(err) : resolve())));
  }

  private async openShard(): Promise<void> {
    await this.closeShard();
    this.shard++;
    this.inShard = 0;
    this.started = Date.now();
    const name = `${pad(this.shard, 5)}.tar`;
    const file = createWriteStream(this.ctx.file(name));
    this.tar = pack();
    this.tar.pipe(file);
    this.out = once(file, 'close').then(() => undefined);
    this.summary.files.push(name);
  }

  private async closeShard(): Promise<void> {
    if (!this.tar) return;
    this.tar.finalize();
    await this.out;
    const base = pad(this.shard, 5);
    const rows = this.rows;
    const col = <K extends keyof ShardRow>(k: K) => rows.map((r) => r[k]);
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'key', data: col('key'), type: 'STRING' }, { name: 'url', data: col('url'), type: 'STRING' },
        { name: 'caption', data: col('caption'), type: 'STRING' }, { name: 'status', data: col('status'), type: 'STRING' },
        { name: 'error_message', data: col('error_message'), type: 'STRING' }, { name: 'width', data: col('width'), type: 'INT32' },
        { name: 'height', data: col('height'), type: 'INT32' }, { name: 'original_width', data: col('original_width'), type: 'INT32' },
        { name: 'original_height', data: col('original_height'), type: 'INT32' }, { name: 'sha256', data: col('sha256'), type: 'STRING' },
      ],
    });
    await writeFile(this.ctx.file(`${base}.parquet`), Buffer.from(buf));
    const end = Date.now();
    await writeFile(this.ctx.file(`${base}_stats.json`), JSON.stringify({
      count: rows.length, successes: rows.length, failed_to_download: 0, failed_to_resize: 0,
      duration: (end - this.started) / 1000, start_time: this.started / 1000, end_time: end / 1000,
      status_dict: { success: rows.length },
    }, null, 4));
    this.summary.files.push(`${base}.parquet`, `${base}_stats.json`);
    this.rows = [];
    this.tar = null;
  }

  async finish(): Promise<WriterSummary> {
    await this.closeShard();
    this.summary.notes.push(`${this.summary.files.filter((f) => f.endsWith('.tar')).length} shards of up to ${this.perShard} samples`);
    return this.summary;
  }
}

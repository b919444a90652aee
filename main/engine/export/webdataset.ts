import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Pack } from 'tar-stream';
import { loadParquetLib, loadTarLib, type ParquetLib, type TarLib } from './lazy-libs';
import { IMAGE_OPTIONS, prepareImage } from './image';
import { portableFields, urlOf } from './portable';
import { Tally } from './tally';
import { COMMON_OPTIONS, type ExportFormatSpec, type ExportRecord, type FormatWriter, type WriterContext, type WriterSummary, extensionOf, pad } from './types';

interface ShardRow { key: string; url: string | null; caption: string | null; status: string; error_message: string | null; width: number | null; height: number | null; original_width: number | null; original_height: number | null; sha256: string | null }

/** img2dataset's output layout: `NNNNN.tar` (KEY.jpg/.txt/.json), `NNNNN.parquet` and `NNNNN_stats.json` per shard. */
export const webdatasetFormat: ExportFormatSpec = {
  id: 'webdataset',
  name: 'WebDataset (img2dataset layout)',
  description: 'Tar shards with KEY.jpg, KEY.txt and KEY.json per sample (labels, objects, scores in the json), a parquet and _stats.json per shard',
  needsImages: true,
  options: [
    ...COMMON_OPTIONS,
    { name: 'samplesPerShard', label: 'Samples per shard', type: 'number', default: 10000, min: 1, max: 1_000_000, description: 'Samples per tar shard' },
    ...IMAGE_OPTIONS,
  ],
  create: async (ctx) => new WebDatasetWriter(ctx, await loadParquetLib(), await loadTarLib()),
};

class WebDatasetWriter implements FormatWriter {
  private shard = -1;
  private inShard = 0;
  private tar: Pack | null = null;
  private tarName = '';
  /** Settles when the shard file is fully written; rejects with the write error (disk full) as soon as one happens. */
  private out: Promise<void> | null = null;
  private rows: ShardRow[] = [];
  private started = Date.now();
  private masksDroppedByResize = 0;
  private readonly perShard: number;
  private readonly keyDigits: number;
  private readonly tally = new Tally([
    'image, KEY.txt caption (empty when none, as img2dataset writes it; "caption": null in the json and parquet)',
    'KEY.json: source metadata, url, size, sha256, image-level labels with confidence/state/origin (labels), boxes and masks as COCO RLE with score/state/origin (objects), chosen scores (scores), provenance (winnow)',
    'per-shard parquet (key, url, caption, status, sizes, sha256) and _stats.json',
  ]);

  constructor(private readonly ctx: WriterContext, private readonly parquet: ParquetLib, private readonly tarLib: TarLib) {
    this.perShard = ctx.options.samplesPerShard as number;
    this.keyDigits = Math.max(1, Math.ceil(Math.log10(this.perShard)));
  }

  async add(r: ExportRecord): Promise<void> {
    const bytes = await r.bytes();
    if (!bytes) { this.tally.skipped++; return; }
    if (!this.tar || this.inShard >= this.perShard) await this.openShard();
    const key = `${pad(this.shard, 5)}${pad(this.inShard, this.keyDigits)}`;
    const img = await prepareImage(bytes, extensionOf(r.item.format), r.item.width, r.item.height, this.ctx.options);
    const row: ShardRow = {
      key, url: urlOf(r), caption: r.item.caption, status: 'success', error_message: null, width: img.width, height: img.height,
      original_width: img.original.width, original_height: img.original.height, sha256: img.data === bytes ? r.item.sha256 : null,
    };
    const { labels, objects, scores } = portableFields(r, this.tally);
    // Boxes and masks follow a resized image (masks only when the size is unchanged; otherwise the box alone, scaled).
    const sx = img.width && r.item.width ? img.width / r.item.width : 1;
    const sy = img.height && r.item.height ? img.height / r.item.height : 1;
    const resized = sx !== 1 || sy !== 1;
    const scaled = !resized ? objects : objects.map(({ segmentation: _s, ...o }) => ({ ...o, bbox: [o.bbox[0] * sx, o.bbox[1] * sy, o.bbox[2] * sx, o.bbox[3] * sy] }));
    if (resized) {
      const dropped = objects.filter((o) => o.segmentation).length;
      this.tally.counts.masks -= dropped;
      this.masksDroppedByResize += dropped;
    }
    const json = {
      ...(r.item.extra ?? {}), ...row, labels, objects: scaled, scores,
      winnow: { id: r.item.id, key: r.item.key, source_sha256: r.item.sha256, provenance: r.provenance },
    };
    await this.entry(`${key}.${img.ext}`, img.data);
    // img2dataset writes the .txt for every sample, empty when there is no caption.
    await this.entry(`${key}.txt`, Buffer.from(r.item.caption ?? ''));
    await this.entry(`${key}.json`, Buffer.from(JSON.stringify(json)));
    this.rows.push(row);
    this.inShard++;
    this.tally.row(this.tarName);
    this.tally.item(r.source, r.item.caption);
  }

  private entry(name: string, data: Buffer): Promise<void> {
    const written = new Promise<void>((resolve, reject) => {
      const sink = this.tar!.entry({ name, size: data.length, mtime: new Date(0) }, data, (err) => (err ? reject(err) : resolve()));
      // When the file fails (disk full), the pack destroys its entry with that error: it reaches the callback, not the process.
      sink.on('error', reject);
    });
    return Promise.race([written, this.out!]);
  }

  private async openShard(): Promise<void> {
    await this.closeShard();
    this.shard++;
    this.inShard = 0;
    this.started = Date.now();
    this.tarName = `${pad(this.shard, 5)}.tar`;
    this.tar = this.tarLib.pack();
    // pipeline: a write error on the file (ENOSPC) rejects here and destroys the pack, instead of an unhandled 'error' event.
    this.out = pipeline(this.tar, createWriteStream(this.ctx.file(this.tarName)));
    this.out.catch(() => undefined);
    this.tally.file(this.tarName);
  }

  private async closeShard(): Promise<void> {
    if (!this.tar) return;
    this.tar.finalize();
    await this.out;
    const base = pad(this.shard, 5);
    const rows = this.rows;
    const col = <K extends keyof ShardRow>(k: K) => rows.map((r) => r[k]);
    const buf = this.parquet.parquetWriteBuffer({
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
    this.tally.file(`${base}.parquet`);
    this.tally.row(`${base}.parquet`, rows.length);
    this.tally.file(`${base}_stats.json`);
    this.rows = [];
    this.tar = null;
  }

  async finish(): Promise<WriterSummary> {
    await this.closeShard();
    if (this.masksDroppedByResize) this.tally.leftOut.push(`${this.masksDroppedByResize} masks of resized images (their boxes are scaled and kept)`);
    this.tally.notes.push(`${this.tally.files.filter((f) => f.endsWith('.tar')).length} shards of up to ${this.perShard} samples`);
    return this.tally.summary();
  }

  abort(): void {
    this.tar?.destroy();
  }
}

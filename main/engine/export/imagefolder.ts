import { mkdir, writeFile } from 'node:fs/promises';
import { IMAGE_OPTIONS, prepareImage } from './image';
import { LineWriter } from './line-writer';
import { portableFields } from './portable';
import { Tally } from './tally';
import { COMMON_OPTIONS, type ExportFormatSpec, type ExportRecord, type FormatWriter, type WriterContext, type WriterSummary, extensionOf, pad } from './types';

const SPLITS = new Set(['train', 'validation', 'test']);
const SPLIT_ALIASES: Record<string, string> = { val: 'validation', valid: 'validation', dev: 'validation' };

/** Hugging Face imagefolder: `<split>/metadata.jsonl` (file_name, text, metadata, objects) next to the images. */
export const imageFolderFormat: ExportFormatSpec = {
  id: 'imagefolder',
  name: 'Hugging Face imagefolder',
  description: 'Split folders with images and metadata.jsonl (file_name, text, objects); load with datasets.load_dataset("imagefolder")',
  needsImages: true,
  options: [...COMMON_OPTIONS, ...IMAGE_OPTIONS],
  create: (ctx) => new ImageFolderWriter(ctx),
};

class ImageFolderWriter implements FormatWriter {
  private readonly splits = new Map<string, LineWriter>();
  private masksDroppedByResize = 0;
  private readonly tally = new Tally([
    'SPLIT/ folders (train, validation, test) with images and metadata.jsonl: file_name, text (caption; null when none), source metadata, winnow_key',
    'objects: {bbox [x,y,w,h] px, category, score, state, origin, segmentation (COCO RLE, compressed counts)} as parallel lists (the Hugging Face detection layout)',
    'labels: image-level labels with confidence/state/origin; scores: chosen scores; provenance',
  ]);
  constructor(private readonly ctx: WriterContext) {}

  private async split(name: string): Promise<LineWriter> {
    let w = this.splits.get(name);
    if (!w) {
      await mkdir(this.ctx.file(name), { recursive: true });
      w = new LineWriter(this.ctx.file(`${name}/metadata.jsonl`));
      this.splits.set(name, w);
      this.tally.file(`${name}/metadata.jsonl`);
    }
    return w;
  }

  async add(r: ExportRecord): Promise<void> {
    const bytes = await r.bytes();
    if (!bytes) { this.tally.skipped++; return; }
    const raw = typeof r.item.extra?.split === 'string' ? r.item.extra.split : 'train';
    const split = SPLITS.has(raw) ? raw : SPLIT_ALIASES[raw] ?? 'train';
    const img = await prepareImage(bytes, extensionOf(r.item.format), r.item.width, r.item.height, this.ctx.options);
    const sx = img.width && r.item.width ? img.width / r.item.width : 1;
    const sy = img.height && r.item.height ? img.height / r.item.height : 1;
    const fileName = `${pad(r.index, 9)}.${img.ext}`;
    const meta = await this.split(split);
    await writeFile(this.ctx.file(`${split}/${fileName}`), img.data);
    const { labels, objects, scores } = portableFields(r, this.tally);
    const extra = { ...(r.item.extra ?? {}) };
    delete extra.split;
    const row: Record<string, unknown> = { ...extra, file_name: fileName, text: r.item.caption, winnow_key: r.item.key };
    const resized = sx !== 1 || sy !== 1;
    if (objects.length) {
      row.objects = {
        bbox: objects.map((o) => [o.bbox[0] * sx, o.bbox[1] * sy, o.bbox[2] * sx, o.bbox[3] * sy]), category: objects.map((o) => o.label),
        score: objects.map((o) => o.score), state: objects.map((o) => o.state), origin: objects.map((o) => o.origin),
        segmentation: objects.map((o) => (resized ? null : o.segmentation ?? null)),
      };
      if (resized) {
        const dropped = objects.filter((o) => o.segmentation).length;
        this.tally.counts.masks -= dropped;
        this.masksDroppedByResize += dropped;
      }
    }
    if (labels.length) row.labels = labels;
    if (Object.keys(scores).length) row.scores = scores;
    if (r.provenance) row.provenance = r.provenance;
    await meta.write(`${JSON.stringify(row)}\n`);
    this.tally.row(`${split}/metadata.jsonl`);
    this.tally.item(r.source, r.item.caption);
  }

  async finish(): Promise<WriterSummary> {
    for (const w of this.splits.values()) await w.close();
    this.tally.notes.push(`splits: ${[...this.splits.keys()].join(', ') || 'none'}`);
    if (this.masksDroppedByResize) this.tally.leftOut.push(`${this.masksDroppedByResize} masks of resized images (their boxes are scaled and kept)`);
    return this.tally.summary();
  }

  abort(): void {
    for (const w of this.splits.values()) w.destroy();
  }
}

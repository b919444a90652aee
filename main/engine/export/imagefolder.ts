import { mkdir, writeFile } from 'node:fs/promises';
import { IMAGE_OPTIONS, prepareImage } from './image';
import { LineWriter } from './manifest';
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
  private readonly summary: WriterSummary = { written: 0, skipped: 0, files: [], notes: [] };
  constructor(private readonly ctx: WriterContext) {}

  private async split(name: string): Promise<LineWriter> {
    let w = this.splits.get(name);
    if (!w) {
      await mkdir(this.ctx.file(name), { recursive: true });
      w = new LineWriter(this.ctx.file(`${name}/metadata.jsonl`));
      this.splits.set(name, w);
      this.summary.files.push(`${name}/metadata.jsonl`);
    }
    return w;
  }

  async add(r: ExportRecord): Promise<void> {
    const bytes = await r.bytes();
    if (!bytes) { this.summary.skipped++; return; }
    const raw = typeof r.item.extra?.split === 'string' ? r.item.extra.split : 'train';
    const split = SPLITS.has(raw) ? raw : SPLIT_ALIASES[raw] ?? 'train';
    const img = await prepareImage(bytes, extensionOf(r.item.format), r.item.width, r.item.height, this.ctx.options);
    const sx = img.width && r.item.width ? img.width / r.item.width : 1;
    const sy = img.height && r.item.height ? img.height / r.item.height : 1;
    const fileName = `${pad(r.index, 9)}.${img.ext}`;
    const meta = await this.split(split);
    await writeFile(this.ctx.file(`${split}/${fileName}`), img.data);
    const boxes = r.annotations.filter((a) => a.bbox && (a.kind === 'box' || a.kind === 'mask'));
    const extra = { ...(r.item.extra ?? {}) };
    delete extra.split;
    const row: Record<string, unknown> = { file_name: fileName, text: r.item.caption, ...extra, winnow_key: r.item.key };
    if (boxes.length) row.objects = { bbox: boxes.map((a) => [a.bbox![0] * sx, a.bbox![1] * sy, a.bbox![2] * sx, a.bbox![3] * sy]), category: boxes.map((a) => a.label) };
    await meta.write(`${JSON.stringify(row)}\n`);
    this.summary.written++;
  }

  async finish(): Promise<WriterSummary> {
    for (const w of this.splits.values()) await w.close();
    this.summary.notes.push(`splits: ${[...this.splits.keys()].join(', ') || 'none'}`);
    return this.summary;
  }
}

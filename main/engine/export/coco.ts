import { createReadStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { encodeCountsString, rleArea } from '../../domain/rle';
import { labelsOf, objectsOf } from './portable';
import { Tally } from './tally';
import { LineWriter } from './line-writer';
import { COMMON_OPTIONS, type ExportFormatSpec, type ExportRecord, type FormatWriter, type WriterContext, type WriterSummary, extensionOf, pad } from './types';

/** Appends one JSON array: items are written as they come, with commas between them. */
class JsonArrayWriter {
  private first = true;
  constructor(private readonly out: LineWriter) {}
  async push(v: unknown): Promise<void> {
    await this.out.write(`${this.first ? '' : ',\n'}${JSON.stringify(v)}`);
    this.first = false;
  }
}

/** COCO: `annotations/instances.json` (bbox [x,y,w,h] px, RLE masks with size [h,w], categories) and `annotations/captions.json`, images under `images/`. */
export const cocoFormat: ExportFormatSpec = {
  id: 'coco',
  name: 'COCO (detection, segmentation, captions)',
  description: 'images/ + annotations/instances.json (boxes, RLE masks, categories) and annotations/captions.json',
  needsImages: true,
  options: [
    ...COMMON_OPTIONS,
    { name: 'rle', label: 'Mask encoding', type: 'enum', default: 'compressed', choices: ['compressed', 'uncompressed'], description: 'Mask encoding: compressed counts string (pycocotools) or a counts list' },
  ],
  create: async (ctx) => {
    await mkdir(ctx.file('images'), { recursive: true });
    await mkdir(ctx.file('annotations'), { recursive: true });
    return new CocoWriter(ctx);
  },
};

class CocoWriter implements FormatWriter {
  private readonly inst: LineWriter;
  private readonly instAnnTmp: LineWriter;
  private readonly caps: LineWriter;
  private readonly capsAnnTmp: LineWriter;
  private readonly instImages: JsonArrayWriter;
  private readonly instAnns: JsonArrayWriter;
  private readonly capImages: JsonArrayWriter;
  private readonly capAnns: JsonArrayWriter;
  private readonly categories = new Map<string, number>();
  private annId = 0;
  private captionCount = 0;
  private readonly tally = new Tally([
    'images/ (bytes unchanged), instances.json: images (id, file_name, width, height, winnow_key), boxes [x,y,w,h] px, masks as RLE (size [h,w]), categories, score, and winnow_state / winnow_origin on model annotations',
    'captions.json: one caption annotation per captioned image',
    'image-level labels and chosen scores as extra image fields (winnow_labels: [{label, score, state, origin}], winnow_scores: {name: value}); COCO detection has no field of its own for them, readers that do not know them ignore them',
  ], ['provenance (the source of each image is not recorded in COCO files)']);

  constructor(private readonly ctx: WriterContext) {
    const info = JSON.stringify({ description: 'Exported by Winnow', date_created: new Date().toISOString(), version: '1.0' });
    this.inst = new LineWriter(ctx.file('annotations/instances.json'));
    this.caps = new LineWriter(ctx.file('annotations/captions.json'));
    this.instAnnTmp = new LineWriter(ctx.file('annotations/.instances.annotations.tmp'));
    this.capsAnnTmp = new LineWriter(ctx.file('annotations/.captions.annotations.tmp'));
    this.inst.push(`{"info":${info},"licenses":[],"images":[\n`);
    this.caps.push(`{"info":${info},"licenses":[],"images":[\n`);
    this.tally.file('annotations/instances.json');
    this.tally.file('annotations/captions.json');
    this.tally.file('images/');
    this.instImages = new JsonArrayWriter(this.inst);
    this.capImages = new JsonArrayWriter(this.caps);
    this.instAnns = new JsonArrayWriter(this.instAnnTmp);
    this.capAnns = new JsonArrayWriter(this.capsAnnTmp);
  }

  async add(r: ExportRecord): Promise<void> {
    const bytes = await r.bytes();
    if (!bytes) { this.tally.skipped++; return; }
    const id = r.index + 1;
    const fileName = `${pad(r.index, 9)}.${extensionOf(r.item.format)}`;
    await writeFile(this.ctx.file(`images/${fileName}`), bytes);
    this.tally.row('images/');
    const image: Record<string, unknown> = { id, file_name: fileName, width: r.item.width, height: r.item.height, winnow_key: r.item.key };
    const labels = labelsOf(r.annotations);
    if (labels.length) image.winnow_labels = labels;
    for (const l of labels) this.tally.label(l.label, l.origin);
    if (r.scores.length) image.winnow_scores = Object.fromEntries(r.scores.map((s) => [s.name, s.value]));
    for (const s of r.scores) this.tally.score(s.name, s.model);
    await this.instImages.push(image);
    await this.capImages.push({ id, file_name: fileName, width: r.item.width, height: r.item.height, winnow_key: r.item.key });
    this.tally.row('annotations/instances.json');
    this.tally.row('annotations/captions.json');
    if (r.item.caption !== null) {
      await this.capAnns.push({ id: ++this.captionCount, image_id: id, caption: r.item.caption });
    }
    for (const a of objectsOf(r.annotations)) {
      let category = this.categories.get(a.label);
      if (category === undefined) {
        category = this.categories.size + 1;
        this.categories.set(a.label, category);
      }
      const segmentation = a.rle ? { size: a.rle.size, counts: this.ctx.options.rle === 'uncompressed' ? a.rle.counts : encodeCountsString(a.rle.counts) } : [];
      const bbox = a.bbox;
      this.tally.object(a.label, a.origin, a.rle !== null);
      const ann: Record<string, unknown> = {
        id: ++this.annId, image_id: id, category_id: category, bbox, area: a.rle ? rleArea(a.rle) : bbox[2] * bbox[3],
        iscrowd: 0, segmentation,
      };
      if (a.score !== null) ann.score = a.score;
      if (a.origin !== 'source') Object.assign(ann, { winnow_origin: a.origin, winnow_state: a.state });
      await this.instAnns.push(ann);
    }
    this.tally.item(r.source, r.item.caption);
  }

  async finish(): Promise<WriterSummary> {
    await this.instAnnTmp.close();
    await this.capsAnnTmp.close();
    const tail = async (main: LineWriter, tmp: string, after: string) => {
      await main.write('],\n"annotations":[\n');
      await main.close();
      await pipeline(createReadStream(this.ctx.file(tmp)), createWriteStream(this.ctx.file(main === this.inst ? 'annotations/instances.json' : 'annotations/captions.json'), { flags: 'a' }));
      await writeFile(this.ctx.file(main === this.inst ? 'annotations/instances.json' : 'annotations/captions.json'), `],\n${after}}\n`, { flag: 'a' });
      await rm(this.ctx.file(tmp));
    };
    const categories = [...this.categories].map(([name, id]) => ({ id, name, supercategory: 'object' }));
    await tail(this.inst, 'annotations/.instances.annotations.tmp', `"categories":${JSON.stringify(categories)}`);
    await tail(this.caps, 'annotations/.captions.annotations.tmp', '"categories":[]');
    this.tally.notes.push(`${this.annId} object annotations in ${categories.length} categories; ${this.captionCount} captions`);
    return this.tally.summary();
  }

  abort(): void {
    for (const w of [this.inst, this.caps, this.instAnnTmp, this.capsAnnTmp]) w.destroy();
  }
}

import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { rleToPolygon } from '../../domain/polygon';
import type { Annotation } from '../store/annotations';
import { exportBox } from './portable';
import { Tally } from './tally';
import { COMMON_OPTIONS, type ExportFormatSpec, type ExportRecord, type FormatWriter, type WriterContext, type WriterSummary, extensionOf, pad } from './types';

/** Deterministic train/val assignment: the same seed and item always land in the same split. */
export function isVal(seed: string, itemId: number, fraction: number): boolean {
  const h = createHash('sha256').update(`${seed}:${itemId}`).digest();
  return h.readUInt32BE(0) / 2 ** 32 < fraction;
}

/** YOLO (Ultralytics): images/{train,val}, labels/{train,val} with normalized boxes or polygons, and data.yaml. */
export const yoloFormat: ExportFormatSpec = {
  id: 'yolo',
  name: 'YOLO (detect / segment)',
  description: 'images/ and labels/ per split with normalized labels, data.yaml with class names',
  needsImages: true,
  options: [
    ...COMMON_OPTIONS,
    { name: 'task', label: 'Task', type: 'enum', default: 'detect', choices: ['detect', 'segment'], description: 'detect: class cx cy w h; segment: class x1 y1 x2 y2 … (polygons)' },
    { name: 'valFraction', label: 'Validation fraction', type: 'number', default: 0.1, min: 0, max: 1, description: 'Fraction of items in the val split' },
    { name: 'seed', label: 'Split seed', type: 'string', default: 'winnow', description: 'Seed of the train/val split' },
  ],
  create: async (ctx) => {
    for (const d of ['images/train', 'images/val', 'labels/train', 'labels/val']) await mkdir(ctx.file(d), { recursive: true });
    return new YoloWriter(ctx);
  },
};

const fmt = (v: number) => String(Math.min(1, Math.max(0, Number(v.toFixed(6)))));

class YoloWriter implements FormatWriter {
  private readonly names = new Map<string, number>();
  private readonly counts = { train: 0, val: 0, labels: 0, noPolygon: 0, clipped: 0, outside: 0 };
  private readonly tally: Tally;
  constructor(private readonly ctx: WriterContext) {
    const segment = ctx.options.task === 'segment';
    this.tally = new Tally(
      [`images/{train,val} (bytes unchanged), labels/{train,val}/NNNNNNNNN.txt: ${segment ? 'class x1 y1 … (normalized polygons traced from masks, or from boxes)' : 'class cx cy w h (normalized boxes)'}`, 'data.yaml with class names'],
      ['captions, image-level labels, scores, confidences, review states and provenance: YOLO label files hold only class and geometry', ...(segment ? [] : ['masks (task=detect writes their tight boxes)'])],
    );
    this.tally.file('data.yaml');
    this.tally.file('images/');
    this.tally.file('labels/');
  }

  private cls(label: string): number {
    let c = this.names.get(label);
    if (c === undefined) { c = this.names.size; this.names.set(label, c); }
    return c;
  }

  async add(r: ExportRecord): Promise<void> {
    const bytes = await r.bytes();
    const { width: w, height: h } = r.item;
    if (!bytes || !w || !h) { this.tally.skipped++; return; }
    const split = isVal(String(this.ctx.options.seed), r.item.id, this.ctx.options.valFraction as number) ? 'val' : 'train';
    const stem = pad(r.index, 9);
    await writeFile(this.ctx.file(`images/${split}/${stem}.${extensionOf(r.item.format)}`), bytes);
    const lines = this.ctx.options.task === 'segment' ? this.segmentLines(r.annotations, w, h) : this.detectLines(r.annotations, w, h);
    await writeFile(this.ctx.file(`labels/${split}/${stem}.txt`), lines.length ? `${lines.join('\n')}\n` : '');
    this.counts[split]++;
    this.counts.labels += lines.length;
    this.tally.row(`images/${split}/`);
    this.tally.item(r.source, null);
  }

  private detectLines(anns: Annotation[], w: number, h: number): string[] {
    const out: string[] = [];
    for (const a of anns) {
      const box = a.kind === 'label' ? null : exportBox(a);
      if (!box) continue;
      // YOLO boxes live inside the image: a box reaching past an edge is clipped to it (one that lies wholly outside is left out).
      const x0 = Math.max(0, box[0]), y0 = Math.max(0, box[1]), x1 = Math.min(w, box[0] + box[2]), y1 = Math.min(h, box[1] + box[3]);
      if (x1 <= x0 || y1 <= y0) { this.counts.outside++; continue; }
      if (x0 !== box[0] || y0 !== box[1] || x1 !== box[0] + box[2] || y1 !== box[1] + box[3]) this.counts.clipped++;
      this.tally.object(a.label, a.origin, false);
      out.push(`${this.cls(a.label)} ${fmt((x0 + x1) / 2 / w)} ${fmt((y0 + y1) / 2 / h)} ${fmt((x1 - x0) / w)} ${fmt((y1 - y0) / h)}`);
    }
    return out;
  }

  private segmentLines(anns: Annotation[], w: number, h: number): string[] {
    const out: string[] = [];
    for (const a of anns) {
      if (a.kind === 'label') continue;
      // A polygon the source gave is written back as it was; otherwise the mask's outline is traced.
      let poly: number[] | null = null;
      const given = a.params?.polygons_normalized as number[][] | undefined;
      const givenPx = a.params?.polygons as number[][] | undefined;
      if (given?.length === 1) poly = given[0];
      else if (givenPx?.length === 1) poly = givenPx[0].map((v, i) => v / (i % 2 ? h : w));
      else if (a.rle) poly = rleToPolygon(a.rle)?.map((v, i) => v / (i % 2 ? h : w)) ?? null;
      else if (exportBox(a)) {
        const [x, y, bw, bh] = exportBox(a)!;
        poly = [x, y, x + bw, y, x + bw, y + bh, x, y + bh].map((v, i) => v / (i % 2 ? h : w));
      }
      if (!poly || poly.length < 6) { this.counts.noPolygon++; continue; }
      this.tally.object(a.label, a.origin, a.rle !== null);
      out.push(`${this.cls(a.label)} ${poly.map(fmt).join(' ')}`);
    }
    return out;
  }

  async finish(): Promise<WriterSummary> {
    const names = Object.fromEntries([...this.names].map(([n, i]) => [i, n]));
    // No `path:` key: Ultralytics then resolves train/val against the yaml's own folder (a relative `path` would go under its datasets dir).
    // Loaded on first use (a dynamic import), so commands that never read this format start without it.
    const { default: YAML } = await import('yaml');
    await writeFile(this.ctx.file('data.yaml'), YAML.stringify({ train: 'images/train', val: 'images/val', nc: this.names.size, names }));
    this.tally.notes.push(`${this.counts.train} train / ${this.counts.val} val images, ${this.counts.labels} ${this.ctx.options.task} labels, ${this.names.size} classes`);
    if (this.counts.clipped) this.tally.notes.push(`${this.counts.clipped} boxes reaching past the image edge were clipped to it`);
    if (this.counts.outside) this.tally.leftOut.push(`${this.counts.outside} boxes lying wholly outside their image`);
    if (this.counts.noPolygon) this.tally.leftOut.push(`${this.counts.noPolygon} annotations with no usable polygon`);
    return this.tally.summary();
  }
}

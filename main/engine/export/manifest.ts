import { mkdir, writeFile } from 'node:fs/promises';
import { LineWriter } from './line-writer';
import { portableFields, urlOf } from './portable';
import { Tally } from './tally';
import { COMMON_OPTIONS, type ExportFormatSpec, type ExportRecord, type FormatWriter, type WriterContext, type WriterSummary, extensionOf, pad } from './types';

/** Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection), behind any number of quotes. */
const FORMULA_START = /^'*[=+\-@\t\r]/;

/**
 * A CSV cell, quoted per RFC 4180, with formula-looking text prefixed by `'` so a spreadsheet shows it as text. A cell that
 * already starts with quotes before such a character gets one more, so Winnow's importer can undo it exactly (it removes one).
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = ['path', 'caption', 'key', 'width', 'height', 'sha256', 'url', 'metadata', 'labels', 'objects', 'scores', 'provenance'];

/** A CSV or JSONL manifest (path, caption, metadata), with the images copied next to it under images/ (or referenced by URL). */
export const manifestFormat: ExportFormatSpec = {
  id: 'manifest',
  name: 'CSV / JSONL manifest',
  description: 'manifest.jsonl or manifest.csv with path, caption, metadata, labels, objects and scores; images copied to images/',
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
  private readonly name: string;
  private readonly tally: Tally;
  private dirMade = false;

  constructor(private readonly ctx: WriterContext) {
    this.csv = ctx.options.format === 'csv';
    this.name = this.csv ? 'manifest.csv' : 'manifest.jsonl';
    this.tally = new Tally([
      'path (images/ copy, or the original file / URL), caption (null when none, as img2dataset), key, width, height, sha256, url, source metadata',
      'image-level labels with confidence, review state and origin (labels)',
      'boxes and masks (COCO RLE, compressed counts) with score, review state and origin (objects)',
      'chosen scores (scores), provenance',
      ...(this.csv ? ["CSV: labels, objects, scores, metadata and provenance are JSON cells; cells starting with = + - @ tab or CR are prefixed with ' against spreadsheet formula injection"] : []),
    ]);
    this.out = new LineWriter(ctx.file(this.name));
    this.tally.file(this.name);
    if (this.csv) this.out.push(`${CSV_COLUMNS.join(',')}\n`);
  }

  async add(r: ExportRecord): Promise<void> {
    const url = urlOf(r);
    let ref: string | null = url ?? r.item.uri;
    if (this.ctx.options.copyImages) {
      const bytes = await r.bytes();
      if (bytes) {
        if (!this.dirMade) { await mkdir(this.ctx.file('images'), { recursive: true }); this.dirMade = true; this.tally.file('images/'); }
        ref = `images/${pad(r.index, 9)}.${extensionOf(r.item.format)}`;
        await writeFile(this.ctx.file(ref), bytes);
        this.tally.row('images/');
      } else if (!url) { this.tally.skipped++; return; }
    }
    const extra = { ...(r.item.extra ?? {}) };
    delete extra.url;
    const { labels, objects, scores } = portableFields(r, this.tally);
    if (this.csv) {
      const row = [ref, r.item.caption, r.item.key, r.item.width, r.item.height, r.item.sha256, url, Object.keys(extra).length ? extra : null,
        labels.length ? labels : null, objects.length ? objects : null, Object.keys(scores).length ? scores : null, r.provenance];
      await this.out.write(`${row.map(csvCell).join(',')}\n`);
    } else {
      await this.out.write(`${JSON.stringify({
        ...extra, path: ref, caption: r.item.caption, key: r.item.key, width: r.item.width, height: r.item.height, sha256: r.item.sha256, ...(url && { url }),
        ...(labels.length && { labels }), ...(objects.length && { objects }), ...(Object.keys(scores).length && { scores }), ...(r.provenance && { provenance: r.provenance }),
      })}\n`);
    }
    this.tally.row(this.name);
    this.tally.item(r.source, r.item.caption);
  }

  async finish(): Promise<WriterSummary> {
    await this.out.close();
    return this.tally.summary();
  }

  abort(): void {
    this.out.destroy();
  }
}

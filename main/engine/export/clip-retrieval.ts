import { mkdir } from 'node:fs/promises';
import type { ParquetWriter } from 'hyparquet-writer';
import { loadParquetLib, type ParquetLib } from './lazy-libs';
import type { Project } from '../project';
import type { EmbeddingSet } from '../store/embeddings';
import type { MatrixFile } from '../store/matrix-file';
import { NpyWriter } from './npy';
import { Tally } from './tally';
import { COMMON_OPTIONS, type ExportFormatSpec, type ExportRecord, type FormatWriter, type WriterContext, type WriterSummary } from './types';

/** clip-retrieval's index input: `img_emb/img_emb_0.npy`, `text_emb/text_emb_0.npy`, `metadata/metadata_0.parquet`, rows aligned. */
export function clipRetrievalFormat(project: Project): ExportFormatSpec {
  const sets = project.embeddings.listSets();
  return {
    id: 'clip-retrieval',
    name: 'clip-retrieval embeddings',
    description: 'img_emb/, text_emb/ (.npy) and metadata/ (.parquet) for clip-retrieval / autofaiss, from the stored embeddings',
    needsImages: false,
    options: [
      ...COMMON_OPTIONS,
      { name: 'model', label: 'Embedding model', type: 'enum', default: sets[0]?.model ?? '', choices: sets.length ? sets.map((s) => s.model) : [''], description: 'Which stored embeddings to export' },
      { name: 'dtype', label: 'Number type', type: 'enum', default: 'float16', choices: ['float16', 'float32'], description: 'clip-retrieval writes float16' },
    ],
    check: (o) => (sets.some((s) => s.model === o.model) ? null : sets.length ? `no embeddings for model ${o.model}` : 'this project has no embeddings yet: run an embedding job first'),
    create: async (ctx) => {
      const set = project.embeddings.getSet(String(ctx.options.model));
      if (!set) throw new Error(ctx.options.model ? `no embeddings for model ${ctx.options.model}` : 'this project has no embeddings yet: run an embedding job first');
      for (const d of ['img_emb', 'text_emb', 'metadata']) await mkdir(ctx.file(d), { recursive: true });
      return new ClipRetrievalWriter(ctx, project, set, await loadParquetLib());
    },
  };
}

class ClipRetrievalWriter implements FormatWriter {
  private readonly img: NpyWriter;
  private readonly txt: NpyWriter;
  private readonly imageMatrix: MatrixFile;
  private readonly textMatrix: MatrixFile;
  private readonly meta: ParquetWriter;
  private rows: { image_path: string; caption: string | null; url: string | null; key: string; sha256: string | null }[] = [];
  private readonly tally = new Tally(
    ['img_emb/img_emb_0.npy and text_emb/text_emb_0.npy (stored embeddings, rows aligned) and metadata/metadata_0.parquet (image_path, caption, url, key, sha256)'],
    ['image bytes, boxes, masks, image-level labels, scores, review states and provenance: clip-retrieval\'s index input holds embeddings and captions only'],
  );
  private noText = 0;

  constructor(private readonly ctx: WriterContext, private readonly project: Project, private readonly set: EmbeddingSet, { fileWriter, ParquetWriter, schemaFromColumnData }: ParquetLib) {
    const dtype = ctx.options.dtype as 'float16' | 'float32';
    for (const f of ['img_emb/img_emb_0.npy', 'text_emb/text_emb_0.npy', 'metadata/metadata_0.parquet']) this.tally.file(f);
    this.img = new NpyWriter(ctx.file('img_emb/img_emb_0.npy'), set.dim, dtype);
    this.txt = new NpyWriter(ctx.file('text_emb/text_emb_0.npy'), set.dim, dtype);
    this.imageMatrix = project.embeddings.matrix(set, 'image');
    this.textMatrix = project.embeddings.matrix(set, 'text');
    const columnData = ['image_path', 'caption', 'url', 'key', 'sha256'].map((name) => ({ name, type: 'STRING' as const, data: [] as string[] }));
    this.meta = new ParquetWriter({ writer: fileWriter(ctx.file('metadata/metadata_0.parquet')), schema: schemaFromColumnData({ columnData }), createdBy: 'winnow' });
  }

  async add(r: ExportRecord): Promise<void> {
    const at = this.project.embeddings.rowsOf(this.set, r.item.id);
    if (!at) { this.tally.skipped++; return; }
    this.img.append(this.imageMatrix.read(at.imageRow));
    if (at.textRow !== null) this.txt.append(this.textMatrix.read(at.textRow));
    else { this.txt.append(new Float32Array(this.set.dim)); this.noText++; }
    const url = typeof r.item.extra?.url === 'string' ? r.item.extra.url : /^https?:/i.test(r.item.uri) ? r.item.uri : null;
    this.rows.push({ image_path: r.item.uri, caption: r.item.caption, url, key: r.item.key, sha256: r.item.sha256 });
    for (const f of ['img_emb/img_emb_0.npy', 'text_emb/text_emb_0.npy', 'metadata/metadata_0.parquet']) this.tally.row(f);
    this.tally.item(r.source, r.item.caption);
    if (this.rows.length >= 10_000) this.flush();
  }

  private flush(): void {
    if (!this.rows.length) return;
    const rows = this.rows;
    this.meta.write({ columnData: (['image_path', 'caption', 'url', 'key', 'sha256'] as const).map((name) => ({ name, type: 'STRING' as const, data: rows.map((x) => x[name]) })), rowGroupSize: rows.length });
    this.rows = [];
  }

  abort(): void {
    this.img.dispose();
    this.txt.dispose();
    this.imageMatrix.close();
    this.textMatrix.close();
  }

  async finish(): Promise<WriterSummary> {
    this.flush();
    this.meta.finish();
    const n = this.img.close();
    this.txt.close();
    this.imageMatrix.close();
    this.textMatrix.close();
    this.tally.model(this.set.model, `embeddings (${this.set.dim}-d)`);
    this.tally.notes.push(`${n} rows of ${this.set.dim}-d ${this.ctx.options.dtype} embeddings from ${this.set.model}${this.set.modelHash ? ` (${this.set.modelHash})` : ''}`);
    if (this.noText) this.tally.notes.push(`${this.noText} items had no caption embedding: their text_emb rows are zeros`);
    if (this.tally.skipped) this.tally.notes.push(`${this.tally.skipped} selected items had no image embedding and were left out`);
    return this.tally.summary();
  }
}

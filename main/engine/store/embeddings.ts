import path from 'node:path';
import type { Db } from './database';
import { statement } from './statements';
import { MatrixFile } from './matrix-file';

export interface EmbeddingSet { id: number; model: string; dim: number; modelHash: string | null }

/** Safe folder name for a model id such as "Xenova/clip-vit-base-patch32". */
export function modelFolderName(model: string): string {
  return model.replace(/[^A-Za-z0-9._-]+/g, '__');
}

/**
 * Per-model embeddings of a project: `embeddings/<model>/image.f32` and `text.f32` (row-major float32,
 * L2-normalized rows) plus tables mapping items to image rows and caption hashes to text rows.
 */
export class EmbeddingStore {
  constructor(private readonly db: Db, private readonly dir: string) {}

  ensureSet(model: string, dim: number, modelHash: string | null): EmbeddingSet {
    const existing = this.getSet(model);
    if (existing) {
      if (existing.dim !== dim) throw new Error(`embeddings for ${model} have dimension ${existing.dim}, the model now gives ${dim}; delete them to re-embed`);
      return existing;
    }
    this.db.prepare('INSERT INTO embedding_sets (model, dim, model_hash) VALUES (?, ?, ?)').run(model, dim, modelHash);
    return this.getSet(model)!;
  }

  getSet(model: string): EmbeddingSet | undefined {
    const r = this.db.prepare('SELECT id, model, dim, model_hash FROM embedding_sets WHERE model = ?').get(model) as { id: number; model: string; dim: number; model_hash: string | null } | undefined;
    return r && { id: r.id, model: r.model, dim: r.dim, modelHash: r.model_hash };
  }

  listSets(): (EmbeddingSet & { images: number; texts: number })[] {
    const rows = this.db.prepare(`SELECT s.id, s.model, s.dim, s.model_hash,
      (SELECT count(*) FROM embedding_rows r WHERE r.set_id = s.id) images,
      (SELECT count(*) FROM text_embeddings t WHERE t.set_id = s.id) texts FROM embedding_sets s ORDER BY s.id`).all() as { id: number; model: string; dim: number; model_hash: string | null; images: number; texts: number }[];
    return rows.map((r) => ({ id: r.id, model: r.model, dim: r.dim, modelHash: r.model_hash, images: r.images, texts: r.texts }));
  }

  matrix(set: EmbeddingSet, kind: 'image' | 'text'): MatrixFile {
    return new MatrixFile(this.matrixPath(set, kind), set.dim);
  }

  matrixPath(set: EmbeddingSet, kind: 'image' | 'text'): string {
    return path.join(this.dir, modelFolderName(set.model), `${kind}.f32`);
  }

  /** Rows the database vouches for; anything past them in the files is from a killed run. */
  committedRows(set: EmbeddingSet): { image: number; text: number } {
    const text = this.db.prepare('SELECT coalesce(max(row) + 1, 0) n FROM text_embeddings WHERE set_id = ?').get(set.id) as { n: number };
    return { image: this.committedImageRows(set), text: text.n };
  }

  /** Committed image rows alone: one index lookup (the text count scans its table). */
  committedImageRows(set: EmbeddingSet): number {
    return (statement(this.db, 'SELECT coalesce(max(image_row) + 1, 0) n FROM embedding_rows WHERE set_id = ?').get(set.id) as { n: number }).n;
  }

  textRow(set: EmbeddingSet, hash: string): number | undefined {
    return (statement(this.db, 'SELECT row FROM text_embeddings WHERE set_id = ? AND text_hash = ?').get(set.id, hash) as { row: number } | undefined)?.row;
  }

  addText(set: EmbeddingSet, hash: string, row: number): void {
    statement(this.db, 'INSERT INTO text_embeddings (set_id, text_hash, row) VALUES (?, ?, ?)').run(set.id, hash, row);
  }

  addItem(set: EmbeddingSet, itemId: number, imageRow: number, textRow: number | null): void {
    statement(this.db, 'INSERT OR REPLACE INTO embedding_rows (set_id, item_id, image_row, text_row) VALUES (?, ?, ?, ?)').run(set.id, itemId, imageRow, textRow);
  }

  /** Item → rows for one item, or undefined when it was not embedded (e.g. undecodable). */
  rowsOf(set: EmbeddingSet, itemId: number): { imageRow: number; textRow: number | null } | undefined {
    const r = this.db.prepare('SELECT image_row, text_row FROM embedding_rows WHERE set_id = ? AND item_id = ?').get(set.id, itemId) as { image_row: number; text_row: number | null } | undefined;
    return r && { imageRow: r.image_row, textRow: r.text_row };
  }

  /** Streams (itemId, imageRow, textRow) in item order. */
  *rows(set: EmbeddingSet): Generator<{ itemId: number; imageRow: number; textRow: number | null }> {
    const stmt = this.db.prepare('SELECT item_id, image_row, text_row FROM embedding_rows WHERE set_id = ? ORDER BY item_id');
    for (const r of stmt.iterate(set.id) as Iterable<{ item_id: number; image_row: number; text_row: number | null }>) {
      yield { itemId: r.item_id, imageRow: r.image_row, textRow: r.text_row };
    }
  }
}

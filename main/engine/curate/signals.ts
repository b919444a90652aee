// The signals table: one number per (item, name), with the model (null for pixel statistics) and the
// parameters that produced it. Every filter, sort and histogram in curation reads from here, so a new
// kind of signal (pair score, label confidence, concept score) needs no schema change: write rows, done.
import type { Db } from '../store/database';

/** Names written by the stats + duplicates job. Embedding-based stages add their own (e.g. `clip.pair`, `label.<name>`). */
export const SIGNAL = {
  sharpness: 'image.sharpness',
  blur: 'image.blur',
  edgeWidth: 'image.edge_width',
  brightness: 'image.brightness',
  entropy: 'image.entropy',
  minSide: 'image.min_side',
  aspect: 'image.aspect',
  captionWords: 'caption.words',
  captionChars: 'caption.chars',
  dupExact: 'dup.exact',
  dupPhash: 'dup.phash',
  /** Semantic near-duplicates from image embeddings (curate.semdedup job, semantic-job.ts). */
  dupSemantic: 'dup.semantic',
  /** 1 on items a person chose as keeper of their duplicate group; recomputation honours it. */
  dupKeep: 'dup.keep',
} as const;

/** A valid signal name: letters, digits and . _ : - (also what keeps rule SQL free of injection). */
export { SIGNAL_NAME_RE as SIGNAL_NAME } from '../../domain/curation';

export interface SignalRow { itemId: number; name: string; value: number; model: string | null; params: string | null }

export interface SignalSummary { name: string; count: number; min: number; max: number; model: string | null }

export class SignalStore {
  private readonly upsert;

  constructor(private readonly db: Db) {
    this.upsert = db.prepare(
      `INSERT INTO signals (item_id, name, value, model, params) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (item_id, name) DO UPDATE SET value = excluded.value, model = excluded.model, params = excluded.params,
       computed_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`,
    );
  }

  /** Writes one signal (call inside a transaction for batches). */
  set(itemId: number, name: string, value: number, model: string | null = null, params: string | null = null): void {
    this.upsert.run(itemId, name, value, model, params);
  }

  get(itemId: number, name: string): number | undefined {
    return this.db.prepare('SELECT value FROM signals WHERE item_id = ? AND name = ?').pluck().get(itemId, name) as number | undefined;
  }

  forItem(itemId: number): SignalRow[] {
    return (this.db.prepare('SELECT item_id itemId, name, value, model, params FROM signals WHERE item_id = ? ORDER BY name').all(itemId) as SignalRow[]);
  }

  deleteName(name: string): void {
    this.db.prepare('DELETE FROM signals WHERE name = ?').run(name);
  }

  /** Every stored signal name with its count and range (the index on (name, value) makes min/max cheap). */
  list(): SignalSummary[] {
    // Skip-scan over the (name, value) index: one seek per distinct name instead of reading every row.
    const names = this.db.prepare(
      `WITH RECURSIVE n(name) AS (SELECT min(name) FROM signals UNION ALL
       SELECT (SELECT min(name) FROM signals WHERE name > n.name) FROM n WHERE n.name IS NOT NULL)
       SELECT name FROM n WHERE name IS NOT NULL`,
    ).pluck().all() as string[];
    const stat = this.db.prepare('SELECT count(*) count, min(value) min, max(value) max, max(model) model FROM signals WHERE name = ?');
    return names.map((name) => ({ name, ...(stat.get(name) as Omit<SignalSummary, 'name'>) }));
  }
}

// The signals table: one number per (item, name) and the run that wrote it (runs.ts holds the model,
// its hash and the parameters, once per run). Every filter, sort and histogram in curation reads from
// here, so a new kind of signal (pair score, label confidence, concept score) needs no schema change.
// Duplicate groups are not signals: see store/dup-groups.ts.
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
} as const;

/** A valid signal name: letters, digits and . _ : - (also what keeps rule SQL free of injection). */
export { SIGNAL_NAME_RE as SIGNAL_NAME } from '../../domain/curation';

export interface SignalRow { itemId: number; name: string; value: number; runId: number | null; model: string | null; params: string | null }

export interface SignalSummary { name: string; count: number; min: number; max: number; model: string | null }

export class SignalStore {
  private readonly upsert;

  constructor(private readonly db: Db) {
    this.upsert = db.prepare(
      `INSERT INTO signals (item_id, name, value, run_id) VALUES (?, ?, ?, ?)
       ON CONFLICT (item_id, name) DO UPDATE SET value = excluded.value, run_id = excluded.run_id`,
    );
  }

  /** Writes one signal of a run (runs.ts; call inside a transaction for batches). */
  set(itemId: number, name: string, value: number, runId: number | null): void {
    this.upsert.run(itemId, name, value, runId);
  }

  get(itemId: number, name: string): number | undefined {
    return this.db.prepare('SELECT value FROM signals WHERE item_id = ? AND name = ?').pluck().get(itemId, name) as number | undefined;
  }

  forItem(itemId: number): SignalRow[] {
    return (this.db.prepare(
      `SELECT s.item_id itemId, s.name, s.value, s.run_id runId, r.model, r.params FROM signals s LEFT JOIN runs r ON r.id = s.run_id
       WHERE s.item_id = ? ORDER BY s.name`,
    ).all(itemId) as SignalRow[]);
  }

  /**
   * The value of one signal for every item that has it, in item id order, with the run that wrote it:
   * the reader exporters and cards use ("the latest run's value of signal X per item": a new run
   * replaces the previous run's row, so the stored value is always the latest).
   */
  *values(name: string): Iterable<{ itemId: number; value: number; runId: number | null }> {
    yield* this.db.prepare('SELECT item_id itemId, value, run_id runId FROM signals WHERE name = ? ORDER BY item_id').iterate(name) as Iterable<{ itemId: number; value: number; runId: number | null }>;
  }

  /** Distinct runs that wrote the stored values of a signal (usually one). */
  runsOf(name: string): number[] {
    return this.db.prepare('SELECT DISTINCT run_id FROM signals WHERE name = ? AND run_id IS NOT NULL ORDER BY run_id').pluck().all(name) as number[];
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
    const stat = this.db.prepare(
      `SELECT count(*) count, min(value) min, max(value) max,
       (SELECT r.model FROM runs r WHERE r.id = (SELECT max(run_id) FROM signals WHERE name = @name)) model FROM signals WHERE name = @name`,
    );
    return names.map((name) => ({ name, ...(stat.get({ name }) as Omit<SignalSummary, 'name'>) }));
  }
}

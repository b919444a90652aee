// The runs table: one row per run of a job that writes signals, annotations or duplicate groups. A
// signal row or annotation points at its run (run_id), so the model, its hash and the parameters are
// stored once per run instead of once per row, and "what made this number" is one join away.
import type { Db } from './database';

export interface RunInfo {
  model?: string | null;
  modelHash?: string | null;
  /** What a curator needs to reproduce the run (job params + method settings); stored as JSON. */
  params?: Record<string, unknown>;
}

export interface Run {
  id: number;
  kind: string;
  jobId: number | null;
  model: string | null;
  modelHash: string | null;
  params: Record<string, unknown>;
  /** Rows the run left behind, per signal name / annotation kind / duplicate kind (set by finish). */
  counts: Record<string, number> | null;
  startedAt: string;
  finishedAt: string | null;
}

interface Row { id: number; kind: string; job_id: number | null; model: string | null; model_hash: string | null; params: string; counts: string | null; started_at: string; finished_at: string | null }
const toRun = (r: Row): Run => ({
  id: r.id, kind: r.kind, jobId: r.job_id, model: r.model, modelHash: r.model_hash, params: JSON.parse(r.params) as Record<string, unknown>,
  counts: r.counts === null ? null : (JSON.parse(r.counts) as Record<string, number>), startedAt: r.started_at, finishedAt: r.finished_at,
});

export class RunStore {
  constructor(private readonly db: Db) {}

  /** Starts a run that no job owns (a migration, a script). */
  create(kind: string, info: RunInfo = {}, jobId: number | null = null): number {
    return Number(this.db.prepare('INSERT INTO runs (kind, job_id, model, model_hash, params) VALUES (?, ?, ?, ?, ?)')
      .run(kind, jobId, info.model ?? null, info.modelHash ?? null, JSON.stringify(info.params ?? {})).lastInsertRowid);
  }

  /**
   * The run of a job, created on first use: a resumed job keeps writing into the run it started, so
   * a run interrupted and resumed is still one run.
   */
  forJob(jobId: number, kind: string, info: RunInfo = {}): number {
    const existing = this.db.prepare('SELECT id FROM runs WHERE job_id = ? AND kind = ?').pluck().get(jobId, kind) as number | undefined;
    return existing ?? this.create(kind, info, jobId);
  }

  get(id: number): Run | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined;
    return row && toRun(row);
  }

  list(): Run[] {
    return (this.db.prepare('SELECT * FROM runs ORDER BY id').all() as Row[]).map(toRun);
  }

  /** Runs by id (missing ids are left out). */
  many(ids: readonly number[]): Run[] {
    return ids.map((id) => this.get(id)).filter((r): r is Run => r !== undefined);
  }

  /** Records what the run left in the store and when it ended. */
  finish(id: number): Run {
    const counts: Record<string, number> = {};
    const add = (rows: { k: string; n: number }[], prefix = '') => rows.forEach((r) => (counts[prefix + r.k] = r.n));
    add(this.db.prepare('SELECT name k, count(*) n FROM signals WHERE run_id = ? GROUP BY name').all(id) as { k: string; n: number }[]);
    add(this.db.prepare('SELECT kind k, count(*) n FROM annotations WHERE run_id = ? GROUP BY kind').all(id) as { k: string; n: number }[], 'annotations.');
    add(this.db.prepare('SELECT kind k, count(*) n FROM dup_groups WHERE run_id = ? GROUP BY kind').all(id) as { k: string; n: number }[], 'dup_groups.');
    this.db.prepare(`UPDATE runs SET counts = ?, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?`).run(JSON.stringify(counts), id);
    return this.get(id)!;
  }

  /** Per model (and hash) whose runs wrote the signals stored now: the signal names (for a dataset card). */
  signalModels(): { model: string; modelHash: string | null; names: string[] }[] {
    const rows = this.db.prepare(
      `SELECT r.model, r.model_hash modelHash, group_concat(DISTINCT s.name) names FROM signals s JOIN runs r ON r.id = s.run_id
       WHERE r.model IS NOT NULL GROUP BY r.model, r.model_hash ORDER BY r.model`,
    ).all() as { model: string; modelHash: string | null; names: string }[];
    return rows.map((r) => ({ ...r, names: r.names.split(',').sort() }));
  }
}

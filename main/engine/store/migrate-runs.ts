// Migration 6's data step: per-row signal provenance (model + params JSON on every row) becomes one
// runs row per job run, and duplicate keepers stored as signal values (dup.exact/phash/semantic =
// keeper id, dup.keep = 1) become dup_groups / dup_members / dup_keepers. Reads the schema-5 tables
// as they were shipped, so it must not change with later code.
import type { Db } from './database';

const STATS_KIND = 'curate.stats';
const SEMANTIC_KIND = 'curate.semdedup';
const DUP_SIGNALS: Record<string, 'exact' | 'phash' | 'semantic'> = { 'dup.exact': 'exact', 'dup.phash': 'phash', 'dup.semantic': 'semantic' };

interface OldSignal { item_id: number; name: string; value: number; model: string | null; params: string | null; computed_at: string }

function parse(json: string | null): Record<string, unknown> {
  if (!json) return {};
  try {
    const v = JSON.parse(json) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Which job wrote a schema-5 signal: its params name the job, else the latest job of the kind that writes it. */
function jobOf(db: Db, name: string, params: Record<string, unknown>): { kind: string; jobId: number | null } {
  const latest = (kind: string) => (db.prepare('SELECT max(id) FROM jobs WHERE kind = ?').pluck().get(kind) as number | null) ?? null;
  if (typeof params.job === 'number') {
    const kind = db.prepare('SELECT kind FROM jobs WHERE id = ?').pluck().get(params.job) as string | undefined;
    if (kind) return { kind, jobId: params.job };
  }
  if (name === 'dup.semantic') return { kind: SEMANTIC_KIND, jobId: latest(SEMANTIC_KIND) };
  if (name.startsWith('image.') || name.startsWith('caption.') || name in DUP_SIGNALS) return { kind: STATS_KIND, jobId: latest(STATS_KIND) };
  return { kind: 'legacy', jobId: null };
}

/** Schema-5 signal rows in keyset-paged chunks: writes may not run while a read statement is open, and memory stays bounded. */
function* oldSignals(db: Db): Iterable<OldSignal> {
  const page = db.prepare('SELECT * FROM signals WHERE (item_id, name) > (?, ?) ORDER BY item_id, name LIMIT 4096');
  let after: [number, string] = [-1, ''];
  for (;;) {
    const rows = page.all(...after) as OldSignal[];
    yield* rows;
    if (rows.length < 4096) return;
    const last = rows[rows.length - 1];
    after = [last.item_id, last.name];
  }
}

/** One run per job (runs_job_kind is unique); rows no job can be found for get one run per model. */
const runKey = (kind: string, jobId: number | null, model: string | null): string => (jobId !== null ? `${kind}#${jobId}` : `${kind}@${model}`);

export function migrateToRuns(db: Db): void {
  const runIds = new Map<string, number>();
  const runParams = new Map<number, { perName: Map<string, Record<string, unknown>>; started: string }>();
  const insertRun = db.prepare('INSERT INTO runs (kind, job_id, model, model_hash, params, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const jobTimes = db.prepare('SELECT created_at, finished_at FROM jobs WHERE id = ?');
  const labelMeta = db.prepare(`SELECT value FROM meta WHERE key = ?`).pluck();

  const runFor = (kind: string, jobId: number | null, model: string | null, modelHash: string | null, at: string): number => {
    const key = runKey(kind, jobId, model);
    let id = runIds.get(key);
    if (id === undefined) {
      const times = (jobId !== null ? jobTimes.get(jobId) : undefined) as { created_at: string; finished_at: string | null } | undefined;
      id = Number(insertRun.run(kind, jobId, model, modelHash, '{}', times?.created_at ?? at, times?.finished_at ?? at).lastInsertRowid);
      runIds.set(key, id);
      runParams.set(id, { perName: new Map(), started: at });
    }
    return id;
  };

  const insertSignal = db.prepare('INSERT INTO signals_v6 (item_id, name, value, run_id) VALUES (?, ?, ?, ?)');
  const insertKeeper = db.prepare('INSERT OR IGNORE INTO dup_keepers (item_id) VALUES (?)');
  const dupMembers = new Map<string, { runId: number; keeper: number; members: number[] }>();
  const resolved = new Map<string, number>();
  for (const s of oldSignals(db)) {
    if (s.name === 'dup.keep') {
      if (s.value === 1) insertKeeper.run(s.item_id);
      continue;
    }
    // Rows of one signal from one run share name, model and params text: resolve each combination once.
    const cacheKey = `${s.name}\u0000${s.model}\u0000${s.params}`;
    let runId = resolved.get(cacheKey);
    if (runId === undefined) {
      const params = parse(s.params);
      const { kind, jobId } = jobOf(db, s.name, params);
      const config = typeof params.config === 'string' ? parse(labelMeta.get(`label.config.${params.config}`) as string | null) : {};
      const modelHash = (params.modelHash ?? config.modelHash ?? null) as string | null;
      // A person's keeper change rewrote semantic rows without their model; the params still name it.
      const model = s.model ?? (typeof params.model === 'string' ? params.model : null);
      runId = runFor(kind, jobId, model, modelHash, s.computed_at);
      const { job: _job, modelHash: _hash, model: _model, ...rest } = params;
      runParams.get(runId)!.perName.set(s.name, rest);
      resolved.set(cacheKey, runId);
    }
    const dup = DUP_SIGNALS[s.name];
    if (dup) {
      const key = `${dup}:${s.value}`;
      const g = dupMembers.get(key) ?? { runId, keeper: s.value, members: [] };
      g.members.push(s.item_id);
      dupMembers.set(key, g);
    } else {
      insertSignal.run(s.item_id, s.name, s.value, runId);
    }
  }

  // One params object per run: shared settings once, per-signal settings (a concept's prompt, a
  // pixel measure's method) under `signals` only where they differ.
  // The job's own params (classes, prompts, thresholds) come first.
  const setParams = db.prepare('UPDATE runs SET params = ? WHERE id = ?');
  const jobParams = (runId: number) => parse(db.prepare('SELECT j.params FROM runs r JOIN jobs j ON j.id = r.job_id WHERE r.id = ?').pluck().get(runId) as string | null ?? null);
  for (const [id, { perName }] of runParams) {
    const distinct = new Set([...perName.values()].map((p) => JSON.stringify(p)));
    const params = distinct.size <= 1 ? ([...perName.values()][0] ?? {}) : { signals: Object.fromEntries(perName) };
    setParams.run(JSON.stringify({ ...jobParams(id), ...params }), id);
  }

  const insertGroup = db.prepare('INSERT INTO dup_groups (kind, run_id, keeper_id) VALUES (?, ?, ?)');
  const insertMember = db.prepare('INSERT OR IGNORE INTO dup_members (group_id, item_id) VALUES (?, ?)');
  const itemExists = db.prepare('SELECT 1 FROM items WHERE id = ?').pluck();
  for (const [key, g] of dupMembers) {
    if (!itemExists.get(g.keeper)) continue;
    const gid = insertGroup.run(key.split(':')[0], g.runId, g.keeper).lastInsertRowid;
    insertMember.run(gid, g.keeper);
    for (const m of g.members) insertMember.run(gid, m);
  }

  // Annotations a job proposed ("job:N") belong to that job's run (the label job's run is the one its signals use).
  const jobAnnotations = db.prepare(
    `SELECT CAST(substr(created_by, 5) AS INTEGER) job, origin, min(created_at) at FROM annotations WHERE created_by LIKE 'job:%' GROUP BY job, origin`,
  ).all() as { job: number; origin: string; at: string }[];
  const kindOf = db.prepare('SELECT kind FROM jobs WHERE id = ?').pluck();
  const setRun = db.prepare(`UPDATE annotations SET run_id = ? WHERE created_by = ? AND origin = ?`);
  for (const a of jobAnnotations) {
    const kind = (kindOf.get(a.job) as string | undefined) ?? 'legacy';
    const existing = runIds.get(runKey(kind, kind === 'legacy' ? null : a.job, a.origin));
    const runId = existing ?? runFor(kind, kind === 'legacy' ? null : a.job, a.origin, null, a.at);
    if (!existing) setParams.run(JSON.stringify(jobParams(runId)), runId);
    setRun.run(runId, `job:${a.job}`, a.origin);
  }

  // Counts as the runs stand after the conversion.
  const counts = db.prepare(
    `SELECT r.id, (SELECT json_group_object(name, n) FROM (SELECT name, count(*) n FROM signals_v6 WHERE run_id = r.id GROUP BY name)) s,
            (SELECT json_group_object('annotations.' || kind, n) FROM (SELECT kind, count(*) n FROM annotations WHERE run_id = r.id GROUP BY kind)) a,
            (SELECT json_group_object('dup_groups.' || kind, n) FROM (SELECT kind, count(*) n FROM dup_groups WHERE run_id = r.id GROUP BY kind)) d
     FROM runs r`,
  ).all() as { id: number; s: string; a: string; d: string }[];
  const setCounts = db.prepare('UPDATE runs SET counts = ? WHERE id = ?');
  for (const c of counts) setCounts.run(JSON.stringify({ ...parse(c.s), ...parse(c.a), ...parse(c.d) }), c.id);
}

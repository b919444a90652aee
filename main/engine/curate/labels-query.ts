// Reading what the labeling runs stored: counts per label (+ uncertain) and the grid's label filter,
// plus starting the embedding-based jobs with the embeddings they need queued in front of them.
import type { Engine } from '../engine';
import type { Db } from '../store/database';
import { DEFAULT_MODEL } from '../vision/active-model';

/** The signals a labeling run (label-job.ts) stores per item. */
export const LABEL_SIGNAL = { confidence: 'label.confidence', margin: 'label.margin', uncertain: 'label.uncertain' } as const;

export type LabelRun = 'zero-shot' | 'multi-label' | 'adapted';

/** Pseudo-label of the grid filter and the counts: items the latest run could not label confidently. */
export const UNCERTAIN = '__uncertain__';

const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;
/**
 * An item's current labels (over table alias `a`): its reviewed labels (accepted or edited), else what the newest run
 * proposed for it (earlier runs' proposals are superseded, not deleted). A reviewed single-label answer hides the
 * single-label proposals of later runs for that item: the curator's decision stands until they change it.
 */
const CURRENT = `a.kind = 'label' AND a.superseded_by IS NULL AND (a.state IN ('accepted', 'edited') OR (a.state = 'proposed'
  AND json_extract(a.params, '$.assigned') = 1 AND NOT (json_extract(a.params, '$.run') IN ('zero-shot', 'adapted') AND EXISTS (
    SELECT 1 FROM annotations r WHERE r.item_id = a.item_id AND r.kind = 'label' AND r.state IN ('accepted', 'edited')
    AND json_extract(r.params, '$.run') IN ('zero-shot', 'adapted')))))`;

export interface LabelCounts {
  run: LabelRun | null;
  model: string | null;
  labels: { label: string; count: number }[];
  uncertain: number;
  /** Items with label signals (i.e. scored by the latest run). */
  scored: number;
}

/** The run kind of the newest model label proposal, or null when there is none. */
export function latestRun(db: Db): { run: LabelRun; model: string; config: string | null } | null {
  const row = db.prepare(`SELECT json_extract(params, '$.run') run, origin model, json_extract(params, '$.config') config FROM annotations WHERE kind = 'label' AND state != 'source' AND json_extract(params, '$.run') IS NOT NULL ORDER BY id DESC LIMIT 1`).get() as { run: LabelRun; model: string; config: string | null } | undefined;
  return row ?? null;
}

export function labelCounts(db: Db, run?: LabelRun): LabelCounts {
  const latest = latestRun(db);
  const which = run ?? latest?.run ?? null;
  if (!which) return { run: null, model: null, labels: [], uncertain: 0, scored: 0 };
  const labels = db.prepare(`SELECT label, count(DISTINCT item_id) count FROM annotations a WHERE ${CURRENT} AND json_extract(a.params, '$.run') = ? GROUP BY label ORDER BY count DESC, label`).all(which) as { label: string; count: number }[];
  // Classes of the latest run that no item got are listed too (count 0), so the list shows the whole class set.
  if (latest?.config && latest.run === which) {
    const raw = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(`label.config.${latest.config}`) as string | undefined;
    const names = raw ? ((JSON.parse(raw) as { classes?: { name: string }[] }).classes ?? []).map((c) => c.name) : [];
    const have = new Set(labels.map((l) => l.label));
    for (const name of names) if (!have.has(name)) labels.push({ label: name, count: 0 });
  }
  const uncertain = db.prepare('SELECT count(*) FROM signals WHERE name = ? AND value = 1').pluck().get(LABEL_SIGNAL.uncertain) as number;
  const scored = db.prepare('SELECT count(*) FROM signals WHERE name = ?').pluck().get(LABEL_SIGNAL.uncertain) as number;
  return { run: which, model: latest?.model ?? null, labels, uncertain, scored };
}

/** SQL over alias `i`: items the label runs assign `label` to (UNCERTAIN: items flagged uncertain). */
export function labelPredicate(label: string): string {
  if (label === UNCERTAIN) return `i.id IN (SELECT item_id FROM signals WHERE name = ${lit(LABEL_SIGNAL.uncertain)} AND value = 1)`;
  return `i.id IN (SELECT a.item_id FROM annotations a WHERE ${CURRENT} AND a.label = ${lit(label)})`;
}

export interface LabelRunSummary {
  runId: number;
  jobId: number | null;
  run: LabelRun;
  model: string | null;
  /** The run's classes in the order it was given them. */
  classes: string[];
  startedAt: string;
  finishedAt: string | null;
  /** Items the run labeled (assigned a class), and how many of those still carry its labels as their current ones. */
  labeled: number;
  current: number;
  /** Items per class the run assigned, in the run's class order. */
  counts: { label: string; count: number }[];
}

/** Every labeling run, newest first: what it was asked, what it assigned, and how much of it is still current. */
export function labelRuns(db: Db): LabelRunSummary[] {
  const runs = db.prepare(`SELECT id, job_id, model, params, started_at, finished_at FROM runs WHERE kind = 'curate.label' ORDER BY id DESC`).all() as
    { id: number; job_id: number | null; model: string | null; params: string; started_at: string; finished_at: string | null }[];
  const perClass = db.prepare(`SELECT label, count(DISTINCT item_id) count FROM annotations WHERE run_id = ? AND kind = 'label'
    AND (state IN ('accepted', 'edited') OR json_extract(params, '$.assigned') = 1) GROUP BY label`);
  const totals = db.prepare(`SELECT count(DISTINCT item_id) labeled, count(DISTINCT CASE WHEN superseded_by IS NULL THEN item_id END) current
    FROM annotations WHERE run_id = ? AND kind = 'label' AND (state IN ('accepted', 'edited') OR json_extract(params, '$.assigned') = 1)`);
  return runs.map((r) => {
    const params = JSON.parse(r.params) as { run?: LabelRun; classes?: { name: string }[] };
    const classes = (params.classes ?? []).map((c) => c.name);
    const n = new Map((perClass.all(r.id) as { label: string; count: number }[]).map((c) => [c.label, c.count]));
    const t = totals.get(r.id) as { labeled: number; current: number };
    const extra = [...n.keys()].filter((l) => !classes.includes(l)).sort();
    return {
      runId: r.id, jobId: r.job_id, run: params.run ?? 'zero-shot', model: r.model, classes, startedAt: r.started_at, finishedAt: r.finished_at,
      labeled: t.labeled, current: t.current, counts: [...classes, ...extra].map((label) => ({ label, count: n.get(label) ?? 0 })),
    };
  });
}

/** ANDs optional predicates (null = none). */
export function andWhere(...preds: (string | null | undefined)[]): string | null {
  const on = preds.filter((p): p is string => !!p);
  return on.length === 0 ? null : on.map((p) => `(${p})`).join(' AND ');
}

/**
 * Queues an embed job first when the model has not embedded every readable local item yet (the job
 * runner runs jobs in order, so the signal job then reads complete matrices), then the job itself.
 */
export function startWithEmbeddings(engine: Engine, model: string | undefined, kind: string, params: Record<string, unknown>): number {
  const project = engine.requireProject();
  const id = model ?? DEFAULT_MODEL;
  const set = project.embeddings.getSet(id);
  const missing = !set || (project.db.prepare(`SELECT EXISTS (SELECT 1 FROM items i WHERE i.uri NOT LIKE 'http://%' AND i.uri NOT LIKE 'https://%'
    AND NOT EXISTS (SELECT 1 FROM embedding_rows r WHERE r.set_id = ? AND r.item_id = i.id)
    AND NOT EXISTS (SELECT 1 FROM issues x WHERE x.item_id = i.id AND x.kind = 'decode_failed'))`).pluck().get(set.id) as number) === 1;
  if (missing) engine.embed(id);
  return project.jobs.start(kind, { model: id, ...params }).id;
}

// Semantic near-duplicates, search and the embedding map with the built-in model on a synthetic dirty
// dataset (400 items, default dirt fractions), measured against its ground truth.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatch, type Dispatch } from '../../../main/api/handlers';
import type { MapPointsT } from '../../../main/api/methods/similarity';
import { setKeeper } from '../../../main/engine/curate/duplicates';
import { evaluateRules } from '../../../main/engine/curate/evaluate';
import { DEFAULT_CANDIDATE_THRESHOLD, DEFAULT_SEMANTIC_THRESHOLD, indexFile, SEMDEDUP_JOB, semDedupJob } from '../../../main/engine/curate/semantic-job';
import { candidatesFile } from '../../../main/engine/curate/semantic-verify';
import { DEFAULT_MIN_ALIGNMENT } from '../../../main/engine/curate/pixel-verify';
import { SignalStore } from '../../../main/engine/curate/signals';
import { Engine } from '../../../main/engine/engine';
import type { Project } from '../../../main/engine/project';
import { DEFAULT_MODEL } from '../../../main/engine/vision/active-model';
import { type GroundTruth, type GroundTruthItem, writeDirtyDataset } from '../../../main/synthetic';
import { tempDir } from '../../fixtures/images';
import { winnowRun, winnowSync } from '../../fixtures/cli';
import { publishOwnerApi } from '../../fixtures/owner-api';

let engine: Engine;
let project: Project;
let call: Dispatch;
let home: string;
const byId = new Map<number, GroundTruthItem>();
const idOf = new Map<string, number>();
const tById = new Map<string, GroundTruthItem>();

/** Family of an item: the original it (transitively) duplicates, or itself. */
function family(t: GroundTruthItem): string {
  return t.duplicate_of ? family(tById.get(t.duplicate_of)!) : t.id;
}

beforeAll(async () => {
  home = await tempDir();
  process.env.WINNOW_HOME = home;
  const data = await tempDir();
  await writeDirtyDataset(data, { count: 400, seed: 'semantic-dedup' });
  const truth = JSON.parse(await readFile(path.join(data, 'ground_truth.json'), 'utf8')) as GroundTruth;
  for (const t of truth.items) tById.set(t.id, t);
  engine = new Engine('cli');
  project = await engine.createProject(path.join(home, 'p'));
  call = createDispatch(engine);
  await project.jobs.wait((await engine.addSource(data)).jobId);
  for (const it of project.items.page(0, 1000)) {
    const t = truth.items.find((g) => g.file === it.key)!;
    byId.set(it.id, t);
    idOf.set(t.id, it.id);
  }
  expect((await project.jobs.wait(engine.embed())).state).toBe('done');
});

afterAll(async () => {
  await engine?.close();
});

/** Non-keeper → keeper pairs of the semantic groups, read straight from the group tables. */
function semanticPairs(): { item_id: number; value: number }[] {
  return project.db.prepare(
    `SELECT m.item_id, g.keeper_id value FROM dup_members m JOIN dup_groups g ON g.id = m.group_id WHERE g.kind = 'semantic' AND m.item_id != g.keeper_id`,
  ).all() as { item_id: number; value: number }[];
}
const keeperOf = (id: number) => semanticPairs().find((p) => p.item_id === id)?.value;
/** The run that wrote the semantic groups. */
const semanticRun = () => project.runs.get(project.db.prepare(`SELECT DISTINCT run_id FROM dup_groups WHERE kind = 'semantic'`).pluck().get() as number)!;

/** Cluster of every item: its keeper, or itself. */
function clusters(): Map<number, number> {
  const out = new Map<number, number>([...byId.keys()].map((id) => [id, id]));
  for (const r of semanticPairs()) out.set(r.item_id, r.value);
  return out;
}

function measure() {
  const c = clusters();
  const perVariant: Record<string, { found: number; total: number }> = {};
  const exact = { found: 0, total: 0 };
  for (const [id, t] of byId) {
    if (!t.duplicate_of || !idOf.has(t.duplicate_of)) continue;
    const same = c.get(id) === c.get(idOf.get(t.duplicate_of)!);
    if (t.dirt.includes('near_duplicate')) {
      const v = (perVariant[t.near_duplicate_variant!] ??= { found: 0, total: 0 });
      v.total++;
      if (same) v.found++;
    } else if (t.dirt.includes('exact_duplicate')) {
      exact.total++;
      if (same) exact.found++;
    }
  }
  // Precision over the stored (non-keeper → keeper) pairs: both in the same ground-truth family.
  const pairs = semanticPairs();
  const correct = pairs.filter((p) => family(byId.get(p.item_id)!) === family(byId.get(p.value)!)).length;
  const near = Object.values(perVariant).reduce((a, v) => ({ found: a.found + v.found, total: a.total + v.total }), { found: 0, total: 0 });
  return {
    precision: pairs.length ? correct / pairs.length : 1, recall: near.found / near.total, pairs: pairs.length, nearPairs: near.total,
    perVariant: Object.fromEntries(Object.entries(perVariant).map(([k, v]) => [k, `${v.found}/${v.total}`])), exact: `${exact.found}/${exact.total}`,
  };
}

async function runDedup(args: Record<string, unknown> = {}) {
  const { jobId } = (await call('dedup.semantic.run', args)) as { jobId: number };
  const job = await project.jobs.wait(jobId);
  expect(job.state, job.error ?? '').toBe('done');
  return job;
}

describe('semantic near-duplicates (built-in model)', () => {
  it(`finds planted near-duplicates: candidates at cos ≥ ${DEFAULT_CANDIDATE_THRESHOLD} verified by pixels, precision and recall ≥ 0.95`, async () => {
    const job = await runDedup();
    const progress = project.jobs.result(semDedupJob(project), job.id)!;
    const m = measure();
    console.log('semantic dedup (graph, verified)', JSON.stringify(m), JSON.stringify(progress));
    expect(m.nearPairs).toBeGreaterThanOrEqual(12);
    expect(m.recall).toBeGreaterThanOrEqual(0.95);
    expect(m.precision).toBeGreaterThanOrEqual(0.95);
    expect(m.exact).toBe('12/12');
    // Verification did the work: most candidates were same-content scenes the pixels told apart.
    expect(progress.rejected).toBeGreaterThan(progress.verified!);
    // Stored like the other duplicate kinds: groups with the run (model, hash, params) that found them; the index saved for search.
    const run = semanticRun();
    expect(run).toMatchObject({ kind: 'curate.semdedup', jobId: job.id, model: DEFAULT_MODEL });
    expect(run.modelHash).toMatch(/^[0-9a-f]{64}$/);
    expect(run.params).toMatchObject({ threshold: DEFAULT_CANDIDATE_THRESHOLD, policy: 'pair', method: 'graph', verify: 'pixels', minAlignment: DEFAULT_MIN_ALIGNMENT });
    expect(run.counts!['dup_groups.semantic']).toBe(project.db.prepare(`SELECT count(*) FROM dup_groups WHERE kind = 'semantic'`).pluck().get());
    const { existsSync } = await import('node:fs');
    expect(existsSync(indexFile(project, project.embeddings.getSet(DEFAULT_MODEL)!))).toBe(true);
  });

  it('a run cancelled midway through verification resumes there and writes the groups an uninterrupted run wrote', async () => {
    await runDedup();
    const reference = clusters();
    project.db.exec(`DELETE FROM dup_members WHERE group_id IN (SELECT id FROM dup_groups WHERE kind = 'semantic'); DELETE FROM dup_groups WHERE kind = 'semantic'`);
    const checkpointOf = (id: number) => JSON.parse((project.db.prepare('SELECT checkpoint FROM jobs WHERE id = ?').pluck().get(id) as string | null) ?? 'null') as
      { verifiedUpTo: number; candidates: number; searchSteps: number } | null;
    let stoppedAt: { verifiedUpTo: number; candidates: number; searchSteps: number } | null = null;
    const off = engine.events.on('job.progress', (j) => {
      if (j.kind !== SEMDEDUP_JOB || j.state !== 'running' || stoppedAt) return;
      const cp = checkpointOf(j.id);
      if (cp && cp.verifiedUpTo > 0) {
        stoppedAt = cp;
        project.jobs.cancel(j.id);
      }
    });
    const { jobId } = (await call('dedup.semantic.run', {})) as { jobId: number };
    expect((await project.jobs.wait(jobId)).state).toBe('cancelled');
    off();
    const cp = stoppedAt as { verifiedUpTo: number; candidates: number; searchSteps: number } | null;
    expect(cp, 'cancelled during verification').not.toBeNull();
    console.log('semantic dedup cancelled at', JSON.stringify({ ...cp, kept: undefined }));
    expect(cp!.verifiedUpTo).toBeLessThan(cp!.candidates);
    expect(clusters()).not.toEqual(reference);
    // The same job again (kind + params) resumes the cancelled one: no search, verification from the checkpoint.
    const seen: number[] = [];
    const watch = engine.events.on('job.progress', (j) => { if (j.id === jobId && j.state === 'running') seen.push(j.done); });
    const again = (await call('dedup.semantic.run', {})) as { jobId: number };
    expect(again.jobId).toBe(jobId);
    const finished = await project.jobs.wait(jobId);
    watch();
    expect(finished.state, finished.error ?? '').toBe('done');
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(cp!.searchSteps + cp!.verifiedUpTo);
    expect(clusters()).toEqual(reference);
    const { existsSync } = await import('node:fs');
    expect(existsSync(candidatesFile(project, jobId))).toBe(false);
  });

  // Cosine alone cannot reach the target with this model: it embeds content, so distinct same-content
  // scenes score above planted crops (see semantic-job.ts). Asserted at the measurement minus one pair.
  it(`cosine alone (verify: none, cos ≥ ${DEFAULT_SEMANTIC_THRESHOLD}) finds re-encodes and resizes at high precision`, async () => {
    await runDedup({ verify: 'none' });
    const m = measure();
    console.log('semantic dedup (graph, cosine only)', JSON.stringify(m));
    expect(m.perVariant.reencode).toBe('4/4');
    expect(m.perVariant.resize).toBe('4/4');
    expect(m.recall).toBeGreaterThanOrEqual(COSINE_ONLY.recall);
    expect(m.precision).toBeGreaterThanOrEqual(COSINE_ONLY.precision);
  });

  it('the SemDeDup path (k-means + within-cluster) finds the same groups', async () => {
    await runDedup({ method: 'semdedup' });
    const m = measure();
    console.log('semantic dedup (semdedup, verified)', JSON.stringify(m));
    expect(m.recall).toBeGreaterThanOrEqual(0.9);
    expect(m.precision).toBeGreaterThanOrEqual(0.95);
    await runDedup();
  });

  it('groups show in the Duplicates view API, obey keeper choices, and feed the semantic_dup rule', async () => {
    const res = (await call('duplicates.groups', { kind: 'semantic', offset: 0, limit: 100 })) as { total: number; groups: { keeper: number; members: { id: number; keeper: boolean }[] }[] };
    expect(res.total).toBeGreaterThan(0);
    const g = res.groups[0];
    expect(g.members.filter((m) => m.keeper).map((m) => m.id)).toEqual([g.keeper]);
    const other = g.members.find((m) => !m.keeper)!.id;
    project.db.transaction(() => setKeeper(project.db, other))();
    expect(keeperOf(g.keeper)).toBe(other);
    // Recomputing honours the manual choice.
    await runDedup();
    expect(keeperOf(other)).toBeUndefined();
    expect(keeperOf(g.keeper)).toBe(other);
    const ev = evaluateRules(project.db, [{ id: 'sem', kind: 'semantic_dup' }]);
    const nonKeepers = semanticPairs().length;
    expect(ev.removed).toBe(nonKeepers);
  });

  it('keep policy "resolution" keeps the largest image of each group', async () => {
    project.db.prepare('DELETE FROM dup_keepers').run();
    await runDedup({ policy: 'resolution' });
    const c = clusters();
    const size = (id: number) => { const i = project.items.get(id)!; return (i.width ?? 0) * (i.height ?? 0); };
    for (const [id, keeper] of c) if (id !== keeper) expect(size(keeper)).toBeGreaterThanOrEqual(size(id));
  });
});

describe('search and map (built-in model)', () => {
  const relevant = (id: number, color: string, shape: string) => byId.get(id)!.objects.some((o) => o.color === color && o.shape === shape);

  it('text search returns items of the queried class first', async () => {
    const queries: [string, string][] = [['red', 'circle'], ['green', 'circle'], ['yellow', 'heart'], ['pink', 'cross'], ['red', 'hexagon']];
    const results: Record<string, number> = {};
    for (const [color, shape] of queries) {
      const res = (await call('search.text', { query: `a photo of a ${color} ${shape}`, k: 10 })) as { hits: { itemId: number; score: number }[]; method: string };
      expect(res.hits).toHaveLength(10);
      expect(res.hits.map((h) => h.score)).toEqual([...res.hits.map((h) => h.score)].sort((a, b) => b - a));
      const nRelevant = [...byId.keys()].filter((id) => relevant(id, color, shape)).length;
      results[`${color} ${shape}`] = res.hits.filter((h) => relevant(h.itemId, color, shape)).length / Math.min(10, nRelevant);
    }
    const mean = Object.values(results).reduce((a, b) => a + b, 0) / queries.length;
    console.log('search precision@10 (of min(10, relevant))', JSON.stringify(results), 'mean', mean.toFixed(3));
    expect(results['red circle']).toBeGreaterThanOrEqual(MIN_RED_CIRCLE_P10);
    expect(mean).toBeGreaterThanOrEqual(MIN_MEAN_P10);
  });

  it('index and exact scan agree; "more like this" finds a near-duplicate\'s original', async () => {
    const set = project.embeddings.getSet(DEFAULT_MODEL)!;
    // A project this small is scanned exactly; a zero scan budget makes search take the index the dedup job saved,
    // once the search.index job the first search starts has measured its recall (the gate, ann-recall.ts).
    type Found = { hits: { itemId: number; score: number }[]; method: string; indexJobId?: number };
    process.env.WINNOW_EXACT_SCAN_MS = '0';
    let viaIndex: Found;
    try {
      const unmeasured = (await call('search.text', { query: 'a photo of a red circle', k: 5 })) as Found;
      expect(unmeasured.method).toBe('exact');
      expect((await project.jobs.wait(unmeasured.indexJobId!)).state).toBe('done');
      viaIndex = (await call('search.text', { query: 'a photo of a red circle', k: 5 })) as Found;
    } finally {
      delete process.env.WINNOW_EXACT_SCAN_MS;
    }
    expect(viaIndex.method).toBe('index');
    const { rmSync } = await import('node:fs');
    rmSync(`${indexFile(project, set)}.json`);
    const exact = (await call('search.text', { query: 'a photo of a red circle', k: 5 })) as { hits: { itemId: number; score: number }[]; method: string };
    expect(exact.method).toBe('exact');
    // The index finds the exact top 5, up to items within its f16 error of the 5th: it ranks candidates by f16
    // scores (off by ~1e-3) before they are scored again in float32, and same-content scenes score within 1e-4 of
    // each other, so which of those near-ties make its top 5 varies with the graph (a fresh-clone run missed one by 1.1e-3).
    const F16_ERROR = 2e-3;
    expect(viaIndex.hits).toHaveLength(5);
    const fifth = exact.hits[4].score;
    for (const hit of viaIndex.hits) expect(hit.score).toBeGreaterThanOrEqual(fifth - F16_ERROR);
    const clearlyAbove = exact.hits.filter((h) => h.score > fifth + F16_ERROR).map((h) => h.itemId);
    expect(viaIndex.hits.map((h) => h.itemId)).toEqual(expect.arrayContaining(clearlyAbove));
    const near = [...byId].find(([, t]) => t.near_duplicate_variant === 'reencode')!;
    const res = (await call('search.similar', { itemId: near[0], k: 5 })) as { hits: { itemId: number; score: number }[] };
    expect(res.hits.map((h) => h.itemId)).not.toContain(near[0]);
    // Same-content scenes score within 1e-4 of a re-encode, so the original is among the first few.
    expect(res.hits.slice(0, 3).map((h) => h.itemId)).toContain(idOf.get(near[1].duplicate_of!));
  });

  it('the map has one point per embedded item, cached, coloured by a signal', async () => {
    const set = project.embeddings.getSet(DEFAULT_MODEL)!;
    const m = (await call('map.get', { colorBy: 'dup.semantic' })) as MapPointsT;
    const n = project.embeddings.listSets()[0].images;
    expect(m.count).toBe(n);
    const ids = new Int32Array(new Uint8Array(Buffer.from(m.ids, 'base64')).buffer);
    const xy = new Float32Array(new Uint8Array(Buffer.from(m.xy, 'base64')).buffer);
    expect(new Set(ids)).toEqual(new Set([...project.embeddings.rows(set)].map((r) => r.itemId)));
    expect(xy.length).toBe(2 * n);
    expect(xy.every(Number.isFinite)).toBe(true);
    const values = new Float32Array(new Uint8Array(Buffer.from(m.values!, 'base64')).buffer);
    // Coloured by duplicate group: every member of a semantic group (keepers too) gets its group's colour.
    const marked = project.db.prepare(`SELECT count(*) FROM dup_members m JOIN dup_groups g ON g.id = m.group_id WHERE g.kind = 'semantic'`).pluck().get() as number;
    expect(values.filter((v) => !Number.isNaN(v)).length).toBe(marked);
    expect(m.explained[0]).toBeGreaterThanOrEqual(m.explained[1]);
    // Second call reads the cache: identical coordinates.
    expect(((await call('map.get', {})) as MapPointsT).xy).toBe(m.xy);
  });

  // This test process owns the project: the CLI attaches to its API, as it would to the app's.
  it('CLI: winnow search --json', async () => {
    const stop = await publishOwnerApi(engine);
    const r = await winnowRun(['search', 'a photo of a red circle', '--k', '3', '--json', '--project', project.dir], { WINNOW_HOME: home });
    await stop();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`attached to pid ${process.pid}`);
    const out = JSON.parse(r.stdout) as { hits: { itemId: number; key: string }[] };
    expect(out.hits).toHaveLength(3);
  });

  it('CLI: winnow dedup --semantic --threshold', async () => {
    const stop = await publishOwnerApi(engine);
    const r = await winnowRun(['dedup', '--semantic', '--threshold', '0.99', '--json', '--project', project.dir], { WINNOW_HOME: home });
    await stop();
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { job: { state: string }; threshold: number; groups: number };
    expect(out).toMatchObject({ job: { state: 'done' }, threshold: 0.99 });
    if (out.groups > 0) expect(semanticRun().params.threshold).toBe(0.99);
    expect(winnowSync(['dedup', '--project', project.dir], { WINNOW_HOME: home }).code).toBe(1);
  });
});

/**
 * Cosine-only measurement with the built-in model at DEFAULT_SEMANTIC_THRESHOLD: 34 pairs, precision 0.647,
 * recall 0.625 (crops 0/4, brightened 2/4); asserted minus one pair.
 */
const COSINE_ONLY = { recall: 0.56, precision: 0.6 };

/**
 * Measured with the built-in model (relevant = the scene has an object of that colour and shape; P@10 over
 * min(10, relevant)): red circle 0.5 (4 of its 8 items in the top 10), green circle 0.6, yellow heart
 * 0.9, pink cross 0.9, red hexagon 0.8, mean 0.74. Asserted at the measurement minus one hit / 0.125.
 * (Multi-object scenes share the image embedding between their objects, which bounds P@10.)
 */
const MIN_RED_CIRCLE_P10 = 0.375;
const MIN_MEAN_P10 = 0.6;

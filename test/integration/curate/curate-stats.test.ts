// The stats + duplicates job on a synthetic dirty dataset (300 items), checked against its ground truth.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuleInput } from '../../../main/api/methods/curation';
import { createDispatch } from '../../../main/api/handlers';
import { listGroups } from '../../../main/engine/curate/duplicates';
import { evaluateRules } from '../../../main/engine/curate/evaluate';
import { signalHistogram } from '../../../main/engine/curate/histogram';
import { filtersPanel } from '../../../main/engine/curate/panel';
import { defaultRules } from '../../../main/engine/curate/rules';
import { resolveSelection, SelectionStore, selectionCounts } from '../../../main/engine/curate/selection';
import { SIGNAL, SignalStore } from '../../../main/engine/curate/signals';
import { STATS_JOB } from '../../../main/engine/curate/stats-job';
import { Engine } from '../../../main/engine/engine';
import type { Project } from '../../../main/engine/project';
import { type GroundTruth, type GroundTruthItem, writeDirtyDataset } from '../../../main/synthetic';
import { tempDir } from '../../fixtures/images';

let engine: Engine;
let project: Project;
let truth: GroundTruth;
let signals: SignalStore;
/** Ground truth by item id (only items that were imported: unreadable headers never become items). */
const byId = new Map<number, GroundTruthItem>();
const idOf = new Map<string, number>();

beforeAll(async () => {
  const home = await tempDir();
  process.env.WINNOW_HOME = home;
  const data = await tempDir();
  await writeDirtyDataset(data, { count: 300, seed: 'curate-stats' });
  truth = JSON.parse(await readFile(path.join(data, 'ground_truth.json'), 'utf8')) as GroundTruth;
  engine = new Engine('cli');
  project = await engine.createProject(path.join(home, 'p'));
  await engine.addSource(data);
  await project.jobs.idle();
  for (const it of project.items.page(0, 1000)) {
    const t = truth.items.find((g) => g.file === it.key)!;
    byId.set(it.id, t);
    idOf.set(t.id, it.id);
  }
  const job = project.jobs.start(STATS_JOB, {});
  const done = await project.jobs.wait(job.id);
  expect(done.state).toBe('done');
  expect(done.done).toBe(byId.size);
  signals = new SignalStore(project.db);
});

afterAll(async () => {
  await engine?.close();
});

const ids = (pred: (t: GroundTruthItem) => boolean) => [...byId].filter(([, t]) => pred(t)).map(([id]) => id);
const has = (kind: string) => (t: GroundTruthItem) => (t.dirt as string[]).includes(kind);

/** Items a rule list removes, through the same SQL path as the grid and export. */
function removedBy(...rules: RuleInput[]): Set<number> {
  const store = new SelectionStore(project.db);
  store.save('__probe', rules);
  const kept = new Set(resolveSelection(project, '__probe'));
  store.delete('__probe');
  return new Set([...byId.keys()].filter((id) => !kept.has(id)));
}

function score(removed: Set<number>, positives: number[]) {
  const tp = positives.filter((id) => removed.has(id)).length;
  return { tp, recall: tp / positives.length, precision: removed.size ? tp / removed.size : 1, removed: removed.size, positives: positives.length };
}

describe('curate.stats on a dirty dataset', () => {
  it('stores every signal per item with its model (null: pixel statistics) and parameters', () => {
    const names = signals.list().map((s) => s.name);
    for (const n of [SIGNAL.sharpness, SIGNAL.blur, SIGNAL.edgeWidth, SIGNAL.brightness, SIGNAL.entropy, SIGNAL.minSide, SIGNAL.aspect, SIGNAL.captionWords, SIGNAL.captionChars, SIGNAL.dupExact, SIGNAL.dupPhash]) {
      expect(names).toContain(n);
    }
    const clean = ids((t) => t.dirt.length === 0)[0];
    const rows = signals.forItem(clean);
    expect(rows.find((r) => r.name === SIGNAL.sharpness)?.params).toMatch(/laplace4/);
    expect(rows.every((r) => r.model === null)).toBe(true);
    const t = byId.get(clean)!;
    expect(signals.get(clean, SIGNAL.minSide)).toBe(Math.min(t.width, t.height));
    expect(signals.get(clean, SIGNAL.captionWords)).toBe(t.caption.trim().split(/\s+/).length);
    const hash = project.db.prepare('SELECT phash FROM item_hashes WHERE item_id = ?').pluck().get(clean) as string;
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('records unreadable images as decode issues and removes them with the unreadable rule', () => {
    const unreadable = ids((t) => t.readable === false);
    // A truncated JPEG keeps its header, so it imports and fails only when decoded.
    expect(unreadable.length).toBeGreaterThan(0);
    for (const id of unreadable) expect(project.issues.has(id, 'decode_failed')).toBe(true);
    expect(removedBy({ id: 'u', kind: 'unreadable' })).toEqual(new Set(unreadable));
    for (const id of unreadable) expect(signals.get(id, SIGNAL.sharpness)).toBeUndefined();
  });

  it('finds exact duplicates exactly, keeper = first seen', () => {
    const copies = ids(has('exact_duplicate'));
    expect(copies.length).toBe(9);
    const expected = new Map<number, number>();
    for (const id of copies) {
      const original = idOf.get(byId.get(id)!.duplicate_of!)!;
      const group = [original, ...copies.filter((c) => byId.get(c)!.duplicate_of === byId.get(id)!.duplicate_of)];
      const keeper = Math.min(...group);
      for (const m of group) if (m !== keeper) expected.set(m, keeper);
    }
    const flagged = new Map(
      (project.db.prepare('SELECT item_id, value FROM signals WHERE name = ?').all(SIGNAL.dupExact) as { item_id: number; value: number }[]).map((r) => [r.item_id, r.value]),
    );
    expect(flagged).toEqual(expected);
    expect(removedBy({ id: 'x', kind: 'exact_dup' })).toEqual(new Set(expected.keys()));
  });

  it('groups perceptual duplicates: exact copies and reencode / brighten / resize variants (k = 6)', () => {
    const dups = ids((t) => t.duplicate_of !== undefined);
    const recall = new Map<string, [number, number]>();
    for (const id of dups) {
      const t = byId.get(id)!;
      const original = idOf.get(t.duplicate_of!)!;
      const same = (signals.get(id, SIGNAL.dupPhash) ?? id) === (signals.get(original, SIGNAL.dupPhash) ?? original);
      const variant = t.near_duplicate_variant ?? 'exact';
      const [hit, n] = recall.get(variant) ?? [0, 0];
      recall.set(variant, [hit + (same ? 1 : 0), n + 1]);
    }
    // Measured on this seed: exact 9/9, reencode 3/3, resize 3/3, brighten 3/3, crop 0/3 (a 5-15% crop
    // shifts the whole DCT: crops are for embedding-based semantic dedup).
    expect(Object.fromEntries(recall)).toEqual({ exact: [9, 9], reencode: [3, 3], resize: [3, 3], brighten: [3, 3], crop: [0, 3] });
    // No false positives: every flagged item is a duplicate or an original that a copy precedes.
    const originals = new Set(dups.map((id) => idOf.get(byId.get(id)!.duplicate_of!)!));
    const flagged = project.db.prepare('SELECT item_id FROM signals WHERE name = ?').pluck().all(SIGNAL.dupPhash) as number[];
    for (const id of flagged) expect(byId.get(id)!.duplicate_of !== undefined || originals.has(id)).toBe(true);
    const groups = listGroups(project.db, 'phash', 0, 100);
    expect(groups.total).toBe(groups.groups.length);
    for (const g of groups.groups) {
      expect(g.members.filter((m) => m.keeper).map((m) => m.id)).toEqual([g.keeper]);
      for (const m of g.members) expect(m.distance).toBeLessThanOrEqual(6);
    }
  });

  it('removes tiny images by min side and extreme aspects by aspect ratio', () => {
    const tiny = ids(has('tiny_image'));
    const extreme = ids(has('extreme_aspect'));
    const minSide = removedBy({ id: 'm', kind: 'min_side' });
    // Extreme-aspect items are 100-160 px on their short side, so min side removes them too.
    for (const id of [...tiny, ...extreme]) expect(minSide.has(id)).toBe(true);
    // The only others are near-duplicates resized down (factor 0.7-0.9) below 200 px.
    for (const id of minSide) {
      const t = byId.get(id)!;
      if (!tiny.includes(id) && !extreme.includes(id)) expect([t.near_duplicate_variant, Math.min(t.width, t.height) < 200]).toEqual(['resize', true]);
    }
    expect(removedBy({ id: 'a', kind: 'aspect' })).toEqual(new Set(extreme));
  });

  it('removes empty captions and junk captions shorter than 3 words', () => {
    const bad = ids((t) => has('empty_caption')(t) || has('junk_caption')(t));
    const short = bad.filter((id) => byId.get(id)!.caption.trim().split(/\s+/).filter(Boolean).length < 3);
    const long = bad.filter((id) => !short.includes(id));
    const removed = removedBy({ id: 'w', kind: 'caption_words' }, { id: 'c', kind: 'caption_chars' });
    expect(removed).toEqual(new Set(short));
    // e.g. "download now free": three words, more than five characters — the basic filter keeps it.
    for (const id of long) expect(removed.has(id)).toBe(false);
  });

  it('detects dark and blurred images (measured precision / recall)', () => {
    const dark = score(removedBy({ id: 'd', kind: 'dark' }), ids(has('dark')));
    const blur = score(removedBy({ id: 'b', kind: 'blurry' }), ids(has('blurred')));
    console.log('dark', dark, 'blurred', blur);
    // Measured on this seed: dark 6/6, precision 1 (mean grey ≤ 44 vs ≥ 50); blurred 6/6, precision 1
    // (edge width). Other seeds (400 items): blurred recall 6-7/8 with at most one false positive.
    expect(dark.recall).toBeGreaterThanOrEqual(5 / 6);
    expect(dark.precision).toBe(1);
    expect(blur.recall).toBeGreaterThanOrEqual(5 / 6);
    expect(blur.precision).toBeGreaterThanOrEqual(0.85);
  });

  it('counts add up: alone, in sequence, kept + removed = total; the grid filter agrees', async () => {
    const rules = defaultRules();
    const ev = evaluateRules(project.db, rules);
    expect(ev.total).toBe(byId.size);
    expect(ev.kept + ev.removed).toBe(ev.total);
    expect(ev.rules.reduce((s, r) => s + r.removedCumulative, 0)).toBe(ev.removed);
    for (const r of ev.rules) {
      expect(r.removedCumulative).toBeLessThanOrEqual(r.removedAlone);
      const rule = rules.find((x) => x.id === r.id)!;
      const alone = removedBy({ ...rule, enabled: true }).size;
      expect(r.removedAlone).toBe(alone);
      if (!rule.enabled) expect(r.removedCumulative).toBe(0);
    }
    // Every dirty kind a rule targets is gone from the kept set.
    const kept = new Set(resolveSelection(project, (new SelectionStore(project.db).save('clean', rules), 'clean')));
    expect(kept.size).toBe(ev.kept);
    expect(selectionCounts(project, 'clean')).toEqual({ total: ev.total, kept: ev.kept, removed: ev.removed });
    expect([...resolveSelection(project, null)].length).toBe(ev.total);
    for (const id of ids((t) => ['tiny_image', 'extreme_aspect', 'empty_caption', 'blurred'].some((k) => has(k)(t)))) {
      expect([id, byId.get(id)!.dirt, kept.has(id)]).toEqual([id, byId.get(id)!.dirt, false]);
    }
    // Of an original and its exact copies at most one survives (none when another rule removes it).
    for (const copy of ids(has('exact_duplicate'))) {
      const of = byId.get(copy)!.duplicate_of!;
      const group = [idOf.get(of)!, ...ids((t) => t.duplicate_of === of && has('exact_duplicate')(t))];
      expect(group.filter((m) => kept.has(m)).length).toBeLessThanOrEqual(1);
    }

    // Through the API: items.count / items.page with the same rules, kept and removed.
    const call = createDispatch(engine);
    expect(await call('items.count', { selection: { rules } })).toBe(ev.kept);
    expect(await call('items.count', { selection: { name: 'clean', show: 'removed' } })).toBe(ev.removed);
    const page = (await call('items.page', { offset: 0, limit: 1000, selection: { name: 'clean' } })) as { id: number }[];
    expect(page.map((i) => i.id)).toEqual([...kept]);
    expect(await call('selection.evaluate', { rules })).toEqual(ev);
    // One rule on its own (counted from its source alone, without grouping by item) agrees with the truth.
    for (const rule of rules.filter((r) => r.enabled)) {
      const alone = removedBy({ ...rule, enabled: true }).size;
      const single = evaluateRules(project.db, [rule]);
      expect([rule.id, single.removed, single.rules[0].removedAlone, single.rules[0].removedCumulative]).toEqual([rule.id, alone, alone, alone]);
      expect(await call('items.count', { selection: { rules: [rule] } })).toBe(ev.total - alone);
      expect(await call('items.count', { selection: { rules: [rule], show: 'removed' } })).toBe(alone);
    }
  });

  it('histograms: fine bins sum to the signal count; fineKept matches the evaluation of the other rules', () => {
    const rules = defaultRules();
    const h = signalHistogram(project.db, SIGNAL.minSide, { rules, excludeRule: 'min_side' });
    expect(h.integer).toBe(true);
    expect(h.fine.reduce((a, b) => a + b, 0)).toBe(h.count);
    // Kept overall at threshold 200 = keptByOthers minus the kept-by-others items below 200.
    const below = h.fineKept!.slice(0, 200 - h.min).reduce((a, b) => a + b, 0);
    expect(h.keptByOthers! - below).toBe(evaluateRules(project.db, rules).kept);
    // The Filters panel's one-call version (shared mask table) gives the same numbers.
    const panel = filtersPanel(project.db, rules);
    expect(panel.evaluation).toEqual(evaluateRules(project.db, rules));
    for (const id of ['min_side', 'blurry', 'caption_words']) {
      const r = rules.find((x) => x.id === id)!;
      expect(panel.histograms[id]).toEqual(signalHistogram(project.db, r.signal!, { rules, excludeRule: id }));
    }
    expect(Object.keys(panel.histograms)).not.toContain('exact_dup');
    const log = signalHistogram(project.db, SIGNAL.sharpness);
    expect(log.scale).toBe('log');
    expect(log.fine.reduce((a, b) => a + b, 0)).toBe(log.count);
  });

  it('a keeper chosen by hand moves the group, survives recomputation, and the rules follow it', async () => {
    const [group] = listGroups(project.db, 'phash', 0, 1).groups;
    const other = group.members.find((m) => !m.keeper)!.id;
    const call = createDispatch(engine);
    expect(await call('duplicates.setKeeper', { itemId: other })).toMatchObject({ changed: true });
    const moved = listGroups(project.db, 'phash', 0, 100).groups.find((g) => g.members.some((m) => m.id === other))!;
    expect(moved.keeper).toBe(other);
    expect(moved.members.map((m) => m.id).sort()).toEqual(group.members.map((m) => m.id).sort());
    expect(removedBy({ id: 'n', kind: 'near_dup' }).has(other)).toBe(false);
    expect(removedBy({ id: 'n', kind: 'near_dup' }).has(group.keeper)).toBe(true);
    // Re-running the job (all items) recomputes the groups and honours the choice.
    const job = project.jobs.start(STATS_JOB, { force: true });
    expect((await project.jobs.wait(job.id)).state).toBe('done');
    expect(listGroups(project.db, 'phash', 0, 100).groups.find((g) => g.members.some((m) => m.id === other))!.keeper).toBe(other);
  });

  it('the stats job resumes after a cancel: every item measured once, progress reaches the total', async () => {
    const before = project.db.prepare('SELECT count(*) FROM signals').pluck().get() as number;
    const job = project.jobs.start(STATS_JOB, { force: true });
    const off = engine.events.on('job.progress', (j) => {
      if (j.id === job.id && j.state === 'running' && j.done > 0) project.jobs.cancel(j.id);
    });
    const cancelled = await project.jobs.wait(job.id);
    off();
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.done).toBeGreaterThan(0);
    expect(cancelled.done).toBeLessThan(byId.size);
    project.jobs.resume(job.id);
    const resumed = await project.jobs.wait(job.id);
    expect(resumed).toMatchObject({ state: 'done', done: byId.size, total: byId.size });
    expect(project.db.prepare('SELECT count(*) FROM signals').pluck().get()).toBe(before);
    // Without force, a new run finds nothing left to measure.
    const again = await project.jobs.wait(project.jobs.start(STATS_JOB, {}).id);
    expect(again).toMatchObject({ state: 'done', done: 0, total: 0 });
  });

  it('keepTop: a quantile rule on any signal keeps that fraction', () => {
    const n = signals.list().find((s) => s.name === SIGNAL.blur)!.count;
    const ev = evaluateRules(project.db, [{ id: 'q', kind: 'signal', signal: SIGNAL.blur, op: '<=', keepTop: 0.5 }]);
    expect(ev.rules[0].withSignal).toBe(n);
    expect(Math.abs(n - ev.rules[0].removedAlone - Math.round(n / 2))).toBeLessThanOrEqual(1);
    // A signal nobody computed yet (e.g. clip.pair before embeddings) removes nothing.
    expect(evaluateRules(project.db, [{ id: 'p', kind: 'signal', signal: 'clip.pair', op: '>=', threshold: 0.3 }]).removed).toBe(0);
  });
});

// A project made by the schema-5 release (test/fixtures/upgrade/make-v5-project.ts, run at that
// release) opened by today's code: every signal, run, duplicate group, annotation and saved selection
// survives with the right values. Expected values are read from the fixture's schema-5 tables with
// plain SQL before the upgrade, not from the code under test.
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, schemaVersion, type Db } from '../../main/engine/store/database';
import { migrations } from '../../main/engine/store/migrations';
import { DupGroupStore } from '../../main/engine/store/dup-groups';
import { RunStore } from '../../main/engine/store/runs';
import { SelectionTable } from '../../main/engine/store/selections';
import { SignalStore } from '../../main/engine/curate/signals';
import { tempDir } from '../fixtures/images';

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/upgrade/v5-project/project.sqlite');

interface OldSignal { item_id: number; name: string; value: number; model: string | null; params: string | null }
interface OldAnnotation { id: number; item_id: number; kind: string; label: string; score: number | null; bbox: string | null; state: string; created_by: string; params: string | null; origin: string }

let old: { signals: OldSignal[]; annotations: OldAnnotation[]; jobs: { id: number; kind: string }[]; selections: { name: string; rules: string }[] };
let db: Db;

beforeAll(async () => {
  // Read from a copy: even a read-only open of a WAL database leaves -shm/-wal files beside the committed fixture.
  const file = path.join(await tempDir('winnow-upgrade-'), 'project.sqlite');
  copyFileSync(FIXTURE, file);
  const src = new Database(file, { readonly: true });
  expect(src.pragma('user_version', { simple: true })).toBe(5);
  old = {
    signals: src.prepare('SELECT item_id, name, value, model, params FROM signals ORDER BY item_id, name').all() as OldSignal[],
    annotations: src.prepare('SELECT * FROM annotations ORDER BY id').all() as OldAnnotation[],
    jobs: src.prepare('SELECT id, kind FROM jobs').all() as { id: number; kind: string }[],
    selections: src.prepare('SELECT name, rules FROM selections').all() as { name: string; rules: string }[],
  };
  src.close();
  db = openDatabase(file);
});

const isDup = (name: string) => name === 'dup.exact' || name === 'dup.phash' || name === 'dup.semantic' || name === 'dup.keep';
const jobOfKind = (kind: string) => old.jobs.filter((j) => j.kind === kind).map((j) => j.id).at(-1);

describe('upgrading a schema-5 project (signals with per-row params, keepers as signal values)', () => {
  it('reaches the current schema', () => {
    expect(schemaVersion(db)).toBe(Math.max(...migrations.map((m) => m.version)));
  });

  it('keeps every signal value, and each points at a run with the model, hash and params its row had', () => {
    const kept = old.signals.filter((s) => !isDup(s.name));
    expect(kept.length).toBeGreaterThan(100);
    const signals = new SignalStore(db);
    const runs = new RunStore(db);
    expect(db.prepare('SELECT count(*) FROM signals').pluck().get()).toBe(kept.length);
    for (const s of kept) {
      const row = signals.forItem(s.item_id).find((r) => r.name === s.name);
      expect(row?.value, `${s.name} of ${s.item_id}`).toBe(s.value);
      const run = runs.get(row!.runId!)!;
      expect(run.model).toBe(s.model);
      const p = s.params ? (JSON.parse(s.params) as Record<string, unknown>) : {};
      if (typeof p.job === 'number') expect(run.jobId).toBe(p.job);
      if (typeof p.modelHash === 'string') expect(run.modelHash).toBe(p.modelHash);
      // Settings that were on the row are on the run (per signal where a run's signals differ).
      const { job: _j, modelHash: _h, ...settings } = p;
      const runSettings = (run.params.signals as Record<string, unknown> | undefined)?.[s.name] ?? run.params;
      expect(runSettings).toMatchObject(settings);
    }
  });

  it('makes one run per job, with counts that match the rows', () => {
    const runs = new RunStore(db).list();
    const jobIds = runs.map((r) => r.jobId);
    expect(new Set(jobIds).size).toBe(jobIds.length);
    const stats = runs.find((r) => r.kind === 'curate.stats')!;
    expect(stats.jobId).toBe(jobOfKind('curate.stats'));
    expect(stats.counts!['image.sharpness']).toBe(old.signals.filter((s) => s.name === 'image.sharpness').length);
    const label = runs.find((r) => r.kind === 'curate.label')!;
    expect(label.params.classes).toEqual([{ name: 'circle' }, { name: 'square' }]);
    expect(label.modelHash).toMatch(/^[0-9a-f]{64}$/);
    expect(label.counts!['annotations.label']).toBe(old.annotations.filter((a) => a.kind === 'label').length);
    const sem = runs.find((r) => r.kind === 'curate.semdedup')!;
    expect(sem).toMatchObject({ jobId: jobOfKind('curate.semdedup'), model: 'winnow-clip-mini' });
    expect(sem.params.threshold).toBe(0.97);
  });

  it('turns keeper ids stored as signal values into duplicate groups with the same keepers and members', () => {
    const store = new DupGroupStore(db);
    for (const [name, kind] of [['dup.exact', 'exact'], ['dup.phash', 'phash'], ['dup.semantic', 'semantic']] as const) {
      // Old encoding: each non-keeper row holds its keeper's id.
      const expected = new Map<number, Set<number>>();
      for (const s of old.signals.filter((r) => r.name === name)) {
        const g = expected.get(s.value) ?? new Set([s.value]);
        g.add(s.item_id);
        expected.set(s.value, g);
      }
      expect(expected.size, name).toBeGreaterThan(0);
      const groups = store.page(kind, 0, 500);
      expect(groups.length, name).toBe(expected.size);
      for (const g of groups) expect(new Set(g.members), `${name} keeper ${g.keeper}`).toEqual(expected.get(g.keeper));
      expect(store.removedCount(kind)).toBe(old.signals.filter((r) => r.name === name).length);
    }
    const manual = old.signals.filter((s) => s.name === 'dup.keep' && s.value === 1).map((s) => s.item_id);
    expect(manual.length).toBe(1);
    expect([...store.manualKeepers()]).toEqual(manual);
    expect(db.prepare(`SELECT count(*) FROM signals WHERE name LIKE 'dup.%'`).pluck().get()).toBe(0);
  });

  it('keeps every annotation as it was and links job proposals to their job run', () => {
    const runs = new RunStore(db);
    for (const a of old.annotations) {
      const now = db.prepare('SELECT * FROM annotations WHERE id = ?').get(a.id) as OldAnnotation & { run_id: number | null };
      expect(now).toMatchObject({ item_id: a.item_id, kind: a.kind, label: a.label, score: a.score, bbox: a.bbox, state: a.state, created_by: a.created_by, params: a.params });
      const job = /^job:(\d+)$/.exec(a.created_by)?.[1];
      if (job) expect(runs.get(now.run_id!)!.jobId).toBe(Number(job));
      else expect(now.run_id).toBeNull();
    }
    expect(new Set(old.annotations.map((a) => a.state))).toEqual(new Set(['proposed', 'accepted', 'rejected', 'edited']));
  });

  it('freezes a saved selection as its rules selected over the schema-5 data, with the runs it read', () => {
    expect(old.selections).toHaveLength(1);
    const rules = JSON.parse(old.selections[0].rules) as { kind: string; signal?: string; threshold?: number }[];
    // Independent evaluation over the old encoding: dup rules remove items holding a dup.* row; the signal rule removes clip.pair <= t.
    const removed = new Set<number>();
    for (const r of rules) {
      const name = { exact_dup: 'dup.exact', near_dup: 'dup.phash', semantic_dup: 'dup.semantic' }[r.kind];
      if (name) old.signals.filter((s) => s.name === name).forEach((s) => removed.add(s.item_id));
      else old.signals.filter((s) => s.name === r.signal && s.value <= r.threshold!).forEach((s) => removed.add(s.item_id));
    }
    const items = db.prepare('SELECT id FROM items ORDER BY id').pluck().all() as number[];
    const snap = new SelectionTable(db).find(old.selections[0].name)!;
    expect(snap.total).toBe(items.length);
    expect(db.prepare('SELECT item_id FROM selection_items WHERE selection_id = ? ORDER BY item_id').pluck().all(snap.id)).toEqual(items.filter((i) => !removed.has(i)));
    const runKinds = new RunStore(db).many(snap.runIds).map((r) => r.kind).sort();
    expect(runKinds).toEqual(['curate.pairscore', 'curate.semdedup', 'curate.stats']);
  });
});

// Decisions by hand: manual keep/exclude override the rules in counts, snapshots and the exported files;
// removal reasons name the rule, the value and the threshold; tags filter; "not a duplicate" is
// remembered by later dedup runs; accept labels goes through review. Ground truth is the captions and
// copies this test wrote, never the code under test.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDispatch } from '../../../main/api/handlers';
import type { MethodInput, MethodName, MethodResult } from '../../../main/api/contract';
import { Engine } from '../../../main/engine/engine';
import { validateExport } from '../../../main/engine/export/export-job';
import type { Project } from '../../../main/engine/project';
import { STATS_JOB } from '../../../main/engine/curate/stats-job';
import { scenes } from '../../fixtures/formats';
import { tempDir } from '../../fixtures/images';
import { winnowSync } from '../../fixtures/cli';

// Index → caption. One-word captions fail "caption has more than 2 words"; scene 7 is a byte copy of scene 0.
const CAPTIONS = ['a red circle on grey', 'dog', 'a blue square in the middle', 'two green triangles side by side', 'cat', 'a small yellow star', 'a purple ring near the edge', 'a red circle on grey'];
const fewWords = (c: string) => c.split(/\s+/).length <= 2;

let engine: Engine;
let project: Project;
let home: string;
let dir: string;
let call: <M extends MethodName>(m: M, input: MethodInput<M>) => Promise<MethodResult<M>>;
const idOf = new Map<string, number>();

beforeAll(async () => {
  const list = await scenes(7, 'decide');
  home = await tempDir();
  process.env.WINNOW_HOME = home;
  const data = path.join(home, 'data');
  await mkdir(data);
  for (let i = 0; i < CAPTIONS.length; i++) {
    await writeFile(path.join(data, `s${i}.jpg`), list[i === 7 ? 0 : i].jpeg);
    await writeFile(path.join(data, `s${i}.txt`), CAPTIONS[i]);
  }
  engine = new Engine('cli');
  dir = path.join(home, 'p');
  project = await engine.createProject(dir);
  await project.jobs.wait((await engine.addSource(data)).jobId);
  expect((await project.jobs.wait(project.jobs.start(STATS_JOB, {}).id)).state).toBe('done');
  for (const it of project.items.page(0, 100)) idOf.set(it.key.replace(/\.jpg$/, ''), it.id);
  const dispatch = createDispatch(engine);
  call = (m, input) => dispatch(m, input) as never;
}, 120_000);

const captionRules = [{ id: 'words', kind: 'caption_words' as const }];

async function exportedKeys(selection: string | null): Promise<Set<string>> {
  const dest = path.join(await tempDir('winnow-decide-out-'), 'out');
  const params = await validateExport(project, { format: 'imagefolder', dest, selection, options: {} });
  const done = await project.jobs.wait(project.jobs.start('export', params).id);
  expect(done.error).toBeNull();
  const rows = readFileSync(path.join(dest, 'train', 'metadata.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { file_name: string; winnow_key: string });
  for (const r of rows) expect(existsSync(path.join(dest, 'train', r.file_name)), r.file_name).toBe(true);
  return new Set(rows.map((r) => r.winnow_key.replace(/\.jpg$/, '')));
}

describe('decisions by hand', () => {
  it('removal reasons name the rule, the item value and the threshold', async () => {
    const ids = [...idOf.values()];
    const marks = await call('items.marks', { ids, rules: captionRules });
    for (const m of marks) {
      const key = [...idOf].find(([, id]) => id === m.id)![0];
      const caption = CAPTIONS[Number(key.slice(1))];
      if (fewWords(caption)) {
        expect(m.reasons).toEqual([expect.objectContaining({ ruleId: 'words', value: caption.split(/\s+/).length, op: '>', threshold: 2 })]);
        expect(m.removed).toBe(true);
      } else expect(m.reasons).toEqual([]);
    }
    // Duplicate rules name the keeper: s7 is a copy of s0, the lower id keeps.
    const [dup] = await call('items.marks', { ids: [idOf.get('s7')!], rules: [{ id: 'exact', kind: 'exact_dup' }] });
    expect(dup.reasons[0].detail).toBe(`exact duplicate of #${idOf.get('s0')}`);
    // The unreadable rule names the recorded issue; a warning of another kind is no reason.
    project.issues.add({ kind: 'decode_failed', message: 'planted', itemId: idOf.get('s6')!, location: 's6.jpg' });
    project.issues.add({ kind: 'caption_missing', message: 'planted', itemId: idOf.get('s5')!, location: 's5.jpg' });
    const unreadable = await call('items.marks', { ids: [idOf.get('s5')!, idOf.get('s6')!], rules: [{ id: 'unreadable', kind: 'unreadable' }] });
    expect(unreadable.map((m) => m.reasons.map((r) => r.detail))).toEqual([[], ['decode_failed']]);
    expect(await call('items.count', { selection: { rules: [{ id: 'unreadable', kind: 'unreadable' }], show: 'removed' } })).toBe(1);
    project.db.prepare("DELETE FROM issues WHERE message = 'planted'").run();
  });

  it('manual keep and exclude override the rules in counts, the per-rule gallery, snapshots and the exported files', async () => {
    const expectedByRules = new Set(CAPTIONS.map((c, i) => (fewWords(c) ? null : `s${i}`)).filter((k): k is string => k !== null));
    // Exclude s2 (the rules keep it), keep s1 (the rules remove it).
    expect((await call('decide.set', { ids: [idOf.get('s2')!], decision: 'exclude', via: 'test' })).changed).toBe(1);
    expect((await call('decide.set', { ids: [idOf.get('s1')!], decision: 'keep', via: 'test' })).changed).toBe(1);
    const expected = new Set([...expectedByRules, 's1']);
    expected.delete('s2');

    const selection = { rules: captionRules, show: 'kept' as const };
    expect(await call('items.count', { selection })).toBe(expected.size);
    const kept = await call('items.page', { offset: 0, limit: 100, selection });
    expect(new Set(kept.map((i) => i.key.replace(/\.jpg$/, '')))).toEqual(expected);
    const ev = await call('selection.evaluate', { rules: captionRules });
    expect(ev.kept).toBe(expected.size);
    expect(ev.manual).toMatchObject({ rescued: 1, added: 1, kept: 1, excluded: 1 });
    // With several rules (the unions must not swallow the decisions): s1 is removed by words and kept by hand, s7 by the exact-copy rule.
    const two = [...captionRules, { id: 'exact', kind: 'exact_dup' as const }];
    const ev2 = await call('selection.evaluate', { rules: two });
    expect(ev2.manual).toMatchObject({ rescued: 1, added: 1 });
    expect(ev2.kept).toBe(expected.size - 1);
    expect(await call('items.count', { selection: { rules: two, show: 'kept' } })).toBe(expected.size - 1);
    // Only the exact-copy rule removes s7 (its caption has enough words); the words rule alone removes the one-word captions.
    expect(await call('items.count', { selection: { rules: two, show: 'removed', rule: 'exact', only: true } })).toBe(1);
    expect(await call('items.count', { selection: { rules: two, show: 'removed', rule: 'words', only: true } })).toBe(CAPTIONS.filter(fewWords).length);
    expect(new Set((await call('items.page', { offset: 0, limit: 10, selection: { rules: two, show: 'removed', rule: 'exact', only: true } })).map((i) => i.id))).toEqual(new Set([idOf.get('s7')]));
    // The rule's gallery still shows every item the rule flags (s1 included, badge says kept by hand).
    expect(await call('items.count', { selection: { rules: captionRules, show: 'kept', rule: 'words' } })).toBe(CAPTIONS.filter(fewWords).length);

    const [s1] = await call('items.marks', { ids: [idOf.get('s1')!], rules: captionRules });
    expect(s1.manual).toMatchObject({ decision: 'keep', via: 'test' });
    expect(s1.manual!.by).toMatch(/@/);
    expect(Date.now() - Date.parse(s1.manual!.at)).toBeLessThan(60_000);
    expect(s1.removed).toBe(false);

    await call('selection.save', { name: 'words', rules: captionRules });
    expect(await exportedKeys('words')).toEqual(expected);
    // A decision made after the snapshot was frozen still wins in its export.
    await call('decide.set', { ids: [idOf.get('s3')!], decision: 'exclude' });
    expected.delete('s3');
    expect(await exportedKeys('words')).toEqual(expected);
    // Exporting everything drops what was excluded by hand.
    expect(await exportedKeys(null)).toEqual(new Set(CAPTIONS.map((_, i) => `s${i}`).filter((k) => k !== 's2' && k !== 's3')));
    // Clearing a decision gives the item back to the rules.
    await call('decide.set', { ids: [idOf.get('s3')!, idOf.get('s2')!], decision: null });
    expect(await call('items.count', { selection })).toBe(expectedByRules.size + 1);
  }, 120_000);

  it('tags are added, filtered on and removed', async () => {
    const ids = [idOf.get('s4')!, idOf.get('s5')!];
    expect((await call('tags.add', { ids, tag: 'check later' })).changed).toBe(2);
    expect((await call('tags.add', { ids, tag: 'check later' })).changed).toBe(0);
    expect(await call('items.count', { tag: 'check later' })).toBe(2);
    expect(new Set(await call('items.ids', { offset: 0, limit: 10, tag: 'check later' }))).toEqual(new Set(ids));
    expect(await call('tags.list', {})).toEqual([{ tag: 'check later', count: 2 }]);
    const know = await call('items.knowledge', { id: ids[0], rules: captionRules });
    expect(know.tagDetails[0]).toMatchObject({ tag: 'check later' });
    expect(know.marks.reasons[0]).toMatchObject({ ruleId: 'words', value: 1 });
    expect(know.signals.map((s) => s.name)).toContain('caption.words');
    expect(know.provenance.source?.path).toBe(path.join(home, 'data'));
    expect(know.provenance.importJob).toBeGreaterThan(0);
    expect((await call('tags.remove', { ids: [ids[0]], tag: 'check later' })).changed).toBe(1);
    expect(await call('items.count', { tag: 'check later' })).toBe(1);
    await expect(call('tags.add', { ids, tag: 'a,b' })).rejects.toThrow(/no commas/);
  });

  it('"not a duplicate" splits the group and later dedup runs keep it apart', async () => {
    const groups = await call('duplicates.groups', { kind: 'exact', offset: 0, limit: 10 });
    expect(groups.total).toBe(1);
    expect(groups.groups[0].members.map((m) => m.id).sort()).toEqual([idOf.get('s0'), idOf.get('s7')].sort());
    expect(groups.groups[0].similarity).toBe(1);
    expect(groups.groups[0].members[0].source).toBe('data');
    const know = await call('items.knowledge', { id: idOf.get('s7')!, rules: captionRules });
    expect(know.duplicates.find((g) => g.kind === 'exact')?.members).toHaveLength(2);

    expect((await call('duplicates.notDuplicate', { ids: [idOf.get('s7')!], kind: 'exact' })).groups).toBe(1);
    expect((await call('duplicates.groups', { kind: 'exact', offset: 0, limit: 10 })).total).toBe(0);
    expect((await call('items.knowledge', { id: idOf.get('s7')!, rules: captionRules })).notDuplicateOf).toEqual([expect.objectContaining({ kind: 'exact', other: idOf.get('s0') })]);
    // A forced statistics run recomputes every group: the pair stays apart.
    expect((await project.jobs.wait(project.jobs.start(STATS_JOB, { force: true }).id)).state).toBe('done');
    expect((await call('duplicates.groups', { kind: 'exact', offset: 0, limit: 10 })).total).toBe(0);
  }, 120_000);

  it('accept labels accepts the assigned proposals of the chosen items only', async () => {
    const [a, b] = [idOf.get('s2')!, idOf.get('s3')!];
    const assigned = JSON.stringify({ assigned: 1, run: 'zero-shot' });
    for (const id of [a, b]) {
      project.annotations.insert(id, { kind: 'label', label: 'shape', score: 0.8, origin: 'label-model', state: 'proposed', createdBy: 'job:9', params: JSON.parse(assigned) as Record<string, unknown> });
      project.annotations.insert(id, { kind: 'label', label: 'other', score: 0.1, origin: 'label-model', state: 'proposed', createdBy: 'job:9', params: { assigned: 0, run: 'zero-shot' } });
    }
    expect((await call('labels.acceptFor', { ids: [a] })).accepted).toBe(1);
    const states = project.db.prepare("SELECT item_id, label, state FROM annotations WHERE kind = 'label' AND item_id IN (?, ?) ORDER BY item_id, label").all(a, b);
    expect(states).toEqual([
      { item_id: a, label: 'other', state: 'proposed' }, { item_id: a, label: 'shape', state: 'accepted' },
      { item_id: b, label: 'other', state: 'proposed' }, { item_id: b, label: 'shape', state: 'proposed' },
    ]);
    const know = await call('items.knowledge', { id: a, rules: captionRules });
    expect(know.labels.find((l) => l.label === 'shape')).toMatchObject({ score: 0.8, model: 'label-model', state: 'accepted', assigned: true });
  });

  it('winnow decide / winnow tag do the same from the command line', async () => {
    await engine.closeProject();
    const env = { WINNOW_HOME: home };
    const s5 = idOf.get('s5')!, s6 = idOf.get('s6')!;
    const ex = winnowSync(['decide', '--exclude', `${s5}-${s6}`, '--project', dir, '--json'], env);
    expect(ex.code, ex.stderr).toBe(0);
    expect(JSON.parse(ex.stdout)).toMatchObject({ decision: 'exclude', items: 2, changed: 2 });
    const tag = winnowSync(['tag', 'cli-tag', String(s5), '--project', dir], env);
    expect(tag.code, tag.stderr).toBe(0);
    const byTag = winnowSync(['decide', '--keep', '--tag-of', 'cli-tag', '--project', dir, '--json'], env);
    expect(JSON.parse(byTag.stdout)).toMatchObject({ decision: 'keep', items: 1 });
  }, 240_000);
});

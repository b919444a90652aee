// The merge streams: over many generated shard tables with small row groups it never holds more than
// one decoded row group per shard, and still writes every row, vector, annotation, duplicate group and
// rule decision in (source, key) order. Ground truth is the generator's own rows and a direct reading of
// the rules (an independent implementation of what they mean on these rows).
import { createHash } from 'node:crypto';
import path from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RuleInput } from '../../../main/domain/curation';
import { readItemTable, rowsHeld } from '../../../main/engine/scale/item-table';
import { mergeShards, type MergeResult } from '../../../main/engine/scale/merge';
import { NpyRows } from '../../../main/engine/scale/npy-rows';
import { writeResultSample } from '../../../main/engine/scale/result-sample';
import { tempDir } from '../../fixtures/images';
import { writeSyntheticShards, type SyntheticShards } from '../../fixtures/scale-synthetic';

const SHARDS = 12;
const ROWS = 3000;
const GROUP = 64;
const RULES: RuleInput[] = [
  { id: 'words', kind: 'caption_words', op: '>', threshold: 2 },
  { id: 'side', kind: 'min_side', op: '>=', threshold: 150 },
  { id: 'broken', kind: 'unreadable' },
  { id: 'copies', kind: 'exact_dup' },
  { id: 'cat', kind: 'signal', signal: 'label.cat', op: '<', threshold: 0.8 },
];

let data: SyntheticShards;
let result: MergeResult;
let out: string;
const read = async (file: string) => (await parquetReadObjects({ file: await asyncBufferFromFile(file) })) as Array<Record<string, unknown>>;

beforeAll(async () => {
  const dir = await tempDir('winnow-merge-stream-');
  data = await writeSyntheticShards(dir, { shards: SHARDS, rows: ROWS, groupSize: GROUP, withAnnotations: true });
  data.plan.rules = RULES.map((r) => ({ enabled: true, ...r }));
  rowsHeld.reset();
  result = await mergeShards(data.plan, SHARDS, data.storage, { groupSize: GROUP, semantic: async () => [] });
  out = path.join(dir, 'result');
}, 120_000);

describe('the streaming merge', () => {
  it('holds at most one row group per shard while merging', () => {
    expect(rowsHeld.now).toBe(0);
    expect(rowsHeld.peak).toBeGreaterThan(0);
    expect(rowsHeld.peak).toBeLessThanOrEqual(SHARDS * GROUP);
    expect(rowsHeld.peak).toBeLessThan(ROWS / 2);
  });

  it('writes every row in (source, key) order with its own vectors and signals, in bounded row groups', async () => {
    expect(result).toMatchObject({ merged: SHARDS, failed: [], items: ROWS });
    const rows = await readItemTable(path.join(out, 'items.parquet'));
    expect(rows.map((r) => `${r.source}/${r.key}`)).toEqual(data.rows.map((r) => `${r.source}/${r.key}`));
    const images = new NpyRows(path.join(out, 'image.npy'));
    const texts = new NpyRows(path.join(out, 'text.npy'));
    rows.forEach((r, i) => {
      const want = data.rows[i];
      expect(r.signals).toEqual(want.signals);
      expect([r.sha256, r.caption, r.error, r.width]).toEqual([want.sha256, want.caption, want.error, want.width]);
      expect(r.image_row === null).toBe(want.image_row === null);
      if (r.image_row !== null) expect(images.read(r.image_row)[0]).toBe(want.image_row);
      if (r.text_row !== null) expect(texts.read(r.text_row)[0]).toBe(-want.text_row!);
    });
    // Matrices in merged order: image rows are numbered as the rows come.
    expect(rows.filter((r) => r.image_row !== null).map((r) => r.image_row)).toEqual([...Array(images.rows).keys()]);
    images.close();
    texts.close();
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(path.join(out, 'items.parquet')));
    expect(Math.max(...meta.row_groups.map((g) => Number(g.num_rows)))).toBeLessThanOrEqual(GROUP);
  });

  it('merges the shards\' annotations in the same order', async () => {
    const ann = await read(path.join(out, 'annotations.parquet'));
    const expected = data.rows.flatMap((r) => Array.from({ length: data.annotations.get(`${r.source}/${r.key}`) ?? 0 }, (_, j) => `${r.source}/${r.key}/obj${j}`));
    expect(result.annotations).toBe(expected.length);
    expect(ann.map((a) => `${a.source}/${a.key}/${a.label}`)).toEqual(expected);
  });

  it('finds the planted exact duplicates and decides every row as the rules say', async () => {
    const planted = data.rows.flatMap((r, i) => (i > 0 && data.rows[i - 1].sha256 === r.sha256 ? [[data.rows[i - 1].key, r.key].join(' ')] : []));
    const dups = await read(path.join(out, 'duplicates.parquet'));
    const groups = new Map<number, string[]>();
    for (const d of dups) groups.set(Number(d.group), [...(groups.get(Number(d.group)) ?? []), String(d.key)]);
    expect([...groups.values()].map((g) => g.join(' '))).toEqual(planted);
    expect(dups.filter((d) => d.keeper).map((d) => d.key)).toEqual(planted.map((p) => p.split(' ')[0]));

    // The rules read directly off the generated rows.
    const firstOfSha = new Set<string>();
    const expected = data.rows.map((r) => {
      const why: string[] = [];
      if (r.signals['caption.words'] <= 2) why.push('words');
      if (r.signals['image.min_side'] < 150) why.push('side');
      if (r.error) why.push('broken');
      if (firstOfSha.has(r.sha256!)) why.push('copies');
      firstOfSha.add(r.sha256!);
      if (r.signals['label.cat'] !== undefined && r.signals['label.cat'] >= 0.8) why.push('cat');
      return why;
    });
    const selection = await read(path.join(out, 'selection.parquet'));
    expect(selection.map((s) => `${s.source}/${s.key}`)).toEqual(data.rows.map((r) => `${r.source}/${r.key}`));
    selection.forEach((s, i) => {
      expect(s.kept, String(s.key)).toBe(expected[i].length === 0);
      const reasons = s.reasons === null ? [] : (JSON.parse(String(s.reasons)) as Array<{ ruleId: string }>);
      expect(reasons.map((r) => r.ruleId), String(s.key)).toEqual(expected[i]);
    });
    const kept = expected.filter((w) => w.length === 0).length;
    expect(result.selection).toMatchObject({ total: ROWS, kept, removed: ROWS - kept });
    for (const rule of RULES) {
      expect(result.selection.rules.find((r) => r.id === rule.id)!.removedAlone, rule.id).toBe(expected.filter((w) => w.includes(rule.id)).length);
    }
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(ROWS);
  });

  it('a sample of the result brings the keeper of every sampled copy', async () => {
    const n = 300;
    const sample = await writeResultSample(out, n, path.join(out, '..', 'sample.parquet'));
    // The rank, independently: sha1 of `source/key`, smallest first, over rows with an image vector.
    const rank = (k: string) => createHash('sha1').update(k).digest('hex');
    const top = new Set(data.rows.filter((r) => r.image_row !== null).map((r) => `${r.source}/${r.key}`).sort((a, b) => (rank(a) < rank(b) ? -1 : 1)).slice(0, n));
    const pairs = data.rows.flatMap((r, i) => (i > 0 && data.rows[i - 1].sha256 === r.sha256 ? [[`${r.source}/${data.rows[i - 1].key}`, `${r.source}/${r.key}`]] : []));
    const expected = pairs.filter(([, copy]) => top.has(copy)).map(([keeper, copy]) => `${keeper} ${copy}`);
    expect(sample.groups.map((g) => `${g.keeper} ${g.members.filter((m) => m !== g.keeper).join(' ')}`)).toEqual(expected);
    // Some keeper was outside the top n and was added for its copy.
    expect(pairs.some(([keeper, copy]) => top.has(copy) && !top.has(keeper))).toBe(true);
  });

  it('reads shards over disjoint key ranges one at a time', async () => {
    const dir = await tempDir('winnow-merge-ranges-');
    const ranges = await writeSyntheticShards(dir, { shards: 40, rows: 4000, groupSize: 32, deal: 'ranges' });
    rowsHeld.reset();
    const r = await mergeShards(ranges.plan, 40, ranges.storage, { groupSize: 32, semantic: async () => [] });
    expect(r.items).toBe(4000);
    expect(rowsHeld.peak).toBeGreaterThan(0);
    expect(rowsHeld.peak).toBeLessThanOrEqual(32);
    const rows = await readItemTable(path.join(dir, 'result', 'items.parquet'));
    expect(rows.map((x) => `${x.source}/${x.key}`)).toEqual(ranges.rows.map((x) => `${x.source}/${x.key}`));
  });

  it('refuses a shard whose table is not sorted, naming it', async () => {
    const dir = await tempDir('winnow-merge-unsorted-');
    const bad = await writeSyntheticShards(dir, { shards: 2, rows: 200, groupSize: 16, unsorted: true });
    await expect(mergeShards(bad.plan, 2, bad.storage, { semantic: async () => [] })).rejects.toThrow(/shards\/0000[01]-of-00002\/items.parquet is not in \(source, key\) order/);
  });
});

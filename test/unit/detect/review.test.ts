import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnnotationStore } from '../../../main/engine/store/annotations';
import { openDatabase } from '../../../main/engine/store/database';
import { ItemStore } from '../../../main/engine/store/items';
import { SourceStore } from '../../../main/engine/store/sources';
import { ReviewService } from '../../../main/engine/review/review';
import { tempDir } from '../../fixtures/images';

async function setup() {
  const db = openDatabase(path.join(await tempDir(), 'project.sqlite'));
  const source = new SourceStore(db).add('folder', '/d', '/d', 'd');
  const items = new ItemStore(db);
  const ids = [1, 2, 3].map((k) => items.insert(source.id, { key: `k${k}`, uri: `/d/${k}.jpg`, format: 'jpg', width: 100, height: 80, bytes: 1, sha256: 'x', caption: null, captionOrigin: null, extra: null })!);
  const ann = new AnnotationStore(db);
  const add = (item: number, label: string, score: number, kind: 'box' | 'label' = 'box') => ann.insert(item, {
    kind, label, score, bbox: kind === 'box' ? [10, 10, 20, 20] : null, origin: 'winnow-clip-mini', params: { run: 'detect', threshold: 0.5 }, state: 'proposed', createdBy: 'job:1',
  });
  return { db, ids, add, review: new ReviewService(db) };
}

describe('review engine', () => {
  it('orders the queue by uncertainty |score − threshold|, items with pending proposals first, and counts progress', async () => {
    const { ids, add, review } = await setup();
    const a = add(ids[0], 'red circle', 0.95);
    add(ids[1], 'red circle', 0.52);
    add(ids[2], 'blue square', 0.7);
    add(ids[2], 'cat', 0.45, 'label');
    expect(review.queue().map((q) => q.itemId)).toEqual([ids[1], ids[2], ids[0]]);
    expect(review.forItem(ids[2]).map((x) => x.kind)).toEqual(['box', 'label']);
    expect(review.progress()).toEqual({ reviewed: 0, total: 4 });
    review.decide([a], 'accepted');
    expect(review.progress()).toEqual({ reviewed: 1, total: 4 });
    expect(review.queue().map((q) => q.itemId)).toEqual([ids[1], ids[2], ids[0]]);
    review.decide(review.forItem(ids[1]).map((x) => x.id), 'rejected');
    expect(review.queue().at(-1)!.pending).toBe(0);
    expect(review.queue({ kinds: ['label'] }).map((q) => q.itemId)).toEqual([ids[2]]);
  });

  it('saves who and when, and undoes / redoes every kind of edit (persisted)', async () => {
    const { db, ids, add, review } = await setup();
    const a = add(ids[0], 'red circle', 0.6);
    const b = add(ids[0], 'red circle', 0.4);
    const accepted = review.decide([a], 'accepted', 'ana');
    expect(accepted[0]).toMatchObject({ state: 'accepted', updatedBy: 'ana', origin: 'winnow-clip-mini' });
    review.relabel(b, 'blue square');
    review.setBox(b, [1, 2, 3, 4]);
    const added = review.add(ids[0], { label: 'star', bbox: [5, 5, 5, 5] });
    review.delete(a);
    expect(review.get(a)).toBeNull();
    expect(review.get(b)).toMatchObject({ label: 'blue square', bbox: [1, 2, 3, 4], state: 'edited', updatedBy: 'local user' });

    // A reopened service sees the same history.
    const again = new ReviewService(db);
    expect(again.undo()!.action).toBe('delete');
    expect(again.get(a)).toMatchObject({ state: 'accepted', label: 'red circle' });
    expect(again.undo()!.action).toBe('add');
    expect(again.get(added.id)).toBeNull();
    again.undo();
    expect(again.get(b)!.bbox).toEqual([10, 10, 20, 20]);
    again.undo();
    expect(again.get(b)).toMatchObject({ label: 'red circle', state: 'proposed', updatedBy: null });
    expect(again.redo()!.action).toBe('relabel');
    expect(again.get(b)!.label).toBe('blue square');
    // A new edit drops the redo branch.
    again.decide([b], 'rejected');
    expect(again.history.canRedo()).toBe(false);
    expect(again.redo()).toBeNull();
    again.undo();
    again.undo();
    again.undo();
    expect(again.get(a)!.state).toBe('proposed');
    expect(again.history.canUndo()).toBe(false);
  });

  it('accepts all proposals above a score in one undoable step; replaces masks with their box', async () => {
    const { ids, add, review } = await setup();
    add(ids[0], 'x', 0.9);
    add(ids[1], 'x', 0.8);
    const low = add(ids[2], 'x', 0.3);
    expect(review.acceptAbove(0.75)).toBe(2);
    expect(review.progress().reviewed).toBe(2);
    review.undo();
    expect(review.progress().reviewed).toBe(0);
    const m = review.setMask(low, { size: [4, 4], counts: [5, 2, 9] });
    expect(m.bbox).toEqual([1, 1, 1, 2]);
    expect(m.rle).toEqual({ size: [4, 4], counts: [5, 2, 9] });
  });
});

// Decision methods → engine (main/engine/store/manual.ts, curate/reasons.ts, curate/item-knowledge.ts,
// store/dup-groups.ts). Every write is one transaction and announces what it changed.
import type { Engine } from '../engine/engine';
import { itemKnowledge } from '../engine/curate/item-knowledge';
import { andWhere, labelPredicate } from '../engine/curate/labels-query';
import { itemMarks } from '../engine/curate/reasons';
import { defaultRules } from '../engine/curate/rules';
import { filterPredicate } from '../engine/curate/selection';
import { DupGroupStore } from '../engine/store/dup-groups';
import { ManualStore, osUser, tagPredicate } from '../engine/store/manual';
import { ApiError } from './contract';
import type { HandlersFor } from './handlers';
import { reviewFor } from './handlers-detection';
import type { decisionMethods } from './methods/decisions';

/** Proposed label annotations the labeling runs assigned to these items (what "accept labels" accepts). */
const ASSIGNED_PROPOSALS = `SELECT id FROM annotations WHERE kind = 'label' AND state = 'proposed' AND json_extract(params, '$.assigned') = 1 AND item_id IN (SELECT value FROM json_each(?))`;

export function decisionHandlers(engine: Engine): HandlersFor<keyof typeof decisionMethods> {
  const project = () => engine.requireProject();
  const manual = () => new ManualStore(project().db);
  const write = <T>(ids: readonly number[], f: () => T): T => {
    const p = project();
    const out = p.db.transaction(f)();
    p.announce('decisions.changed', { itemIds: ids.length <= 1000 ? [...ids] : null });
    return out;
  };
  return {
    'items.marks': ({ ids, rules }) => itemMarks(project().db, rules ?? defaultRules(), ids),
    'items.knowledge': ({ id, rules }) => {
      if (!project().items.get(id)) throw new ApiError('not_found', `no item ${id}`);
      return itemKnowledge(project(), id, rules ?? defaultRules());
    },
    'items.ids': ({ offset, limit, sourceId, selection, label, tag }) => {
      const db = project().db;
      const where = andWhere(filterPredicate(db, selection), label && labelPredicate(label), tag && tagPredicate(tag)) ?? '1';
      const sql = `SELECT i.id FROM items i WHERE ${sourceId === undefined ? '1' : 'i.source_id = ?'} AND ${where} ORDER BY i.id LIMIT ? OFFSET ?`;
      return (sourceId === undefined ? db.prepare(sql).pluck().all(limit, offset) : db.prepare(sql).pluck().all(sourceId, limit, offset)) as number[];
    },
    'decide.set': ({ ids, decision, via }) => write(ids, () => ({ changed: manual().decide(ids, decision, osUser(), via ?? engine.mode) })),
    'tags.add': ({ ids, tag }) => write(ids, () => ({ changed: manual().tag(ids, tag, osUser()) })),
    'tags.remove': ({ ids, tag }) => write(ids, () => ({ changed: manual().untag(ids, tag) })),
    'tags.list': () => manual().tags(),
    'labels.acceptFor': ({ ids, user }) => {
      const annotationIds = project().db.prepare(ASSIGNED_PROPOSALS).pluck().all(JSON.stringify(ids)) as number[];
      const review = reviewFor(project());
      // review.decide records one undo step per call; 10k annotations per step keeps each step bounded.
      for (let i = 0; i < annotationIds.length; i += 10_000) review.decide(annotationIds.slice(i, i + 10_000), 'accepted', user ?? osUser());
      return { accepted: annotationIds.length };
    },
    'duplicates.notDuplicate': ({ ids, kind }) => {
      const p = project();
      const store = new DupGroupStore(p.db);
      const groups = p.db.transaction(() => ids.reduce((n, id) => n + store.markNotDuplicate(id, kind ?? null, osUser()), 0))();
      p.announce('duplicates.changed', { jobId: null });
      return { groups };
    },
  };
}

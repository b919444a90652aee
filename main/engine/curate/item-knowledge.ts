// Everything Winnow knows about one item, for the item panel: removal reasons under the current rules,
// the decision by hand and tags (with who and when), every signal with the model that made it, label
// proposals with scores and model, other annotations, duplicate groups with members, sources and
// likeness, "not a duplicate" marks, and provenance (source, import job, where in the source).
import type { ItemKnowledgeT, DupGroupForItemT } from '../../domain/decisions';
import type { RuleInput, RuleT } from '../../domain/curation';
import type { Project } from '../project';
import { DupGroupStore } from '../store/dup-groups';
import { ManualStore } from '../store/manual';
import { semanticCosine } from './dup-similarity';
import { distance64, splitHash } from './hash64';
import { itemMarks } from './reasons';
import { SignalStore } from './signals';

interface AnnotationRow { id: number; kind: string; label: string; score: number | null; origin: string; state: string; by: string; params: string | null }

export function itemKnowledge(project: Project, id: number, rules: readonly (RuleInput | RuleT)[]): ItemKnowledgeT {
  const db = project.db;
  const [marks] = itemMarks(db, rules, [id]);
  const tagDetails = new ManualStore(db).tagsFor([id]).get(id) ?? [];
  const signals = new SignalStore(db).forItem(id).map(({ name, value, model, runId }) => ({ name, value, model, runId }));
  const rows = db.prepare('SELECT id, kind, label, score, origin, state, created_by by, params FROM annotations WHERE item_id = ? ORDER BY kind, score DESC, id').all(id) as AnnotationRow[];
  const params = (r: AnnotationRow): Record<string, unknown> => (r.params ? (JSON.parse(r.params) as Record<string, unknown>) : {});
  const labels = rows.filter((r) => r.kind === 'label').map((r) => {
    const p = params(r);
    return { id: r.id, label: r.label, score: r.score, model: r.origin, state: r.state, assigned: p.assigned === 1 || p.assigned === true, run: typeof p.run === 'string' ? p.run : null };
  });
  const annotations = rows.filter((r) => r.kind !== 'label').map(({ id: aid, kind, label, score, origin, state, by }) => ({ id: aid, kind, label, score, origin, state, by }));
  const dups = new DupGroupStore(db);
  const prov = db.prepare(
    `SELECT i.added_at addedAt, i.provenance, s.id sid, s.name, s.kind, s.path FROM items i JOIN sources s ON s.id = i.source_id WHERE i.id = ?`,
  ).get(id) as { addedAt: string; provenance: string | null; sid: number; name: string; kind: string; path: string } | undefined;
  // The import job that read this source (the latest one, if re-imported).
  const importJob = prov
    ? (db.prepare(`SELECT id FROM jobs WHERE kind = 'import' AND json_extract(params, '$.sourceId') = ? ORDER BY id DESC LIMIT 1`).pluck().get(prov.sid) as number | undefined) ?? null
    : null;
  return {
    id, marks, tagDetails, signals, labels, annotations,
    duplicates: dupGroupsOf(project, id),
    notDuplicateOf: dups.notDuplicateOf(id),
    provenance: {
      source: prov ? { id: prov.sid, name: prov.name, kind: prov.kind, path: prov.path } : null,
      addedAt: prov?.addedAt ?? null,
      importJob,
      detail: prov?.provenance ? (JSON.parse(prov.provenance) as Record<string, unknown>) : null,
    },
  };
}

function dupGroupsOf(project: Project, id: number): DupGroupForItemT[] {
  const db = project.db;
  const member = db.prepare(
    `SELECT i.id, i.key, i.source_id sourceId, s.name sourceName, h.phash FROM items i JOIN sources s ON s.id = i.source_id LEFT JOIN item_hashes h ON h.item_id = i.id WHERE i.id = ?`,
  );
  return new DupGroupStore(db).forItem(id).map((g) => {
    const rows = g.members.map((m) => member.get(m) as { id: number; key: string; sourceId: number; sourceName: string; phash: string | null } | undefined)
      .filter((r) => r !== undefined);
    const kh = rows.find((r) => r.id === g.keeper)?.phash ?? null;
    const cosine = g.kind === 'semantic' ? semanticCosine(project, g.runId) : null;
    return {
      kind: g.kind, keeper: g.keeper,
      members: rows.map((r) => ({
        id: r.id, key: r.key, sourceId: r.sourceId, sourceName: r.sourceName, keeper: r.id === g.keeper,
        distance: r.id === g.keeper ? null : g.kind === 'exact' ? 0 : g.kind === 'phash' ? (kh && r.phash ? distance64(...splitHash(kh), ...splitHash(r.phash)) : null) : cosine?.(g.keeper, r.id) ?? null,
      })),
    };
  });
}

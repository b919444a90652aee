// What an export needs for a page of the selection, read with one statement per table per page (ids as a JSON array):
// at 1M a query per item per table was most of an export's CPU, and its rows most of its garbage.
import { UNREADABLE_ISSUE } from '../curate/rules';
import { resolveSelection } from '../curate/selection';
import type { Annotation } from '../store/annotations';
import type { Project } from '../project';
import { ItemReader, type LoadedItem } from './item-reader';
import type { ExportScore } from './types';


/** Items per page: bounds what one page holds in memory (its rows and parsed JSON) while keeping statements few. */
export const PAGE = 512;

/** A saved selection's kept ids (null: every item) in id order, PAGE at a time; the array is reused, so use a page before asking for the next. */
export function* selectionPages(project: Project, selection: string | null): Iterable<readonly number[]> {
  const ids: number[] = [];
  for (const id of resolveSelection(project, selection)) {
    ids.push(id);
    if (ids.length === PAGE) { yield ids; ids.length = 0; }
  }
  if (ids.length) yield ids;
}

/** Which ids of a page (a JSON array) Winnow could not decode. */
export const undecodableOfPage = (project: Project) =>
  project.db.prepare(`SELECT DISTINCT item_id FROM issues WHERE item_id IN (SELECT value FROM json_each(?)) AND ${UNREADABLE_ISSUE}`).pluck();

export interface RecordPage {
  undecodable: Set<number>;
  items: Map<number, LoadedItem>;
  annotations: Map<number, Annotation[]>;
  scores: Map<number, ExportScore[]>;
}

export class RecordPageReader {
  readonly reader: ItemReader;
  private readonly undecodableStmt;
  private readonly scoreStmt;

  constructor(private readonly project: Project, private readonly scoreNames: string[]) {
    this.reader = new ItemReader(project);
    this.undecodableStmt = undecodableOfPage(project);
    this.scoreStmt = scoreNames.length
      ? project.db.prepare(`SELECT s.item_id, s.name, s.value, r.model FROM signals s LEFT JOIN runs r ON r.id = s.run_id
          WHERE s.item_id IN (SELECT value FROM json_each(?)) AND s.name IN (${scoreNames.map(() => '?').join(',')}) ORDER BY s.item_id, s.name`)
      : null;
  }

  /** One page of ids, ascending; an id without an item (deleted since the selection was saved) is absent from `items`. */
  read(ids: readonly number[], withUndecodable: boolean): RecordPage {
    const json = JSON.stringify(ids);
    const scores = new Map<number, ExportScore[]>();
    if (this.scoreStmt) {
      for (const r of this.scoreStmt.iterate(json, ...this.scoreNames) as Iterable<ExportScore & { item_id: number }>) {
        const s: ExportScore = { name: r.name, value: r.value, model: r.model };
        const list = scores.get(r.item_id);
        if (list) list.push(s);
        else scores.set(r.item_id, [s]);
      }
    }
    return {
      undecodable: new Set(withUndecodable ? [] : this.undecodableStmt.all(json) as number[]),
      items: this.reader.page(json),
      annotations: this.project.annotations.currentOfPage(json),
      scores,
    };
  }
}

// Everything the Filters panel needs after a change, in one call: the evaluation and, for every
// threshold rule, its histogram conditioned on the other enabled rules. The removed-by bitmask of each
// item is built once into a temporary table; each histogram is then one scan of its signal's rows with
// a primary-key lookup of the mask (kept by others = mask has no other enabled bit).
import type { EvaluationT, HistogramT, RuleInput, RuleT } from '../../domain/curation';
import type { Db } from '../store/database';
import { countsFromMasks, hasBit, type MaskCount, maskQuery, withManual } from './evaluate';
import { binRows, histogramShape } from './histogram';
import { type CompiledRule, compileRules } from './rules';
import { totalItems } from '../store/items';

export interface PanelResult { evaluation: EvaluationT; histograms: Record<string, HistogramT> }

/** Rules with a numeric threshold (drawn with a histogram and a handle). */
export const isThresholdRule = (c: CompiledRule): boolean =>
  c.signal !== null && c.rule.op !== undefined && c.rule.kind !== 'exact_dup' && c.rule.kind !== 'near_dup' && c.rule.kind !== 'semantic_dup' && c.rule.kind !== 'unreadable';

export function filtersPanel(db: Db, rules: readonly (RuleInput | RuleT)[]): PanelResult {
  const compiled = compileRules(db, rules);
  return db.transaction((): PanelResult => {
    const total = totalItems(db);
    db.exec('CREATE TEMP TABLE IF NOT EXISTS curate_mask (item_id INTEGER PRIMARY KEY, mask INTEGER NOT NULL); DELETE FROM temp.curate_mask;');
    const q = maskQuery(compiled);
    if (q) db.exec(`INSERT INTO temp.curate_mask (item_id, mask) ${q}`);
    const masks = db.prepare('SELECT mask, count(*) n FROM temp.curate_mask GROUP BY mask').all() as MaskCount[];
    const count = db.prepare('SELECT count(*) FROM signals WHERE name = ?').pluck();
    const evaluation = withManual(db, compiled, countsFromMasks(compiled, total, masks, (name) => count.get(name) as number));

    const enabled = compiled.map((c) => c.rule.enabled);
    const histograms: Record<string, HistogramT> = {};
    compiled.forEach((c, k) => {
      if (!isThresholdRule(c)) return;
      const others = enabled.reduce((acc, on, j) => (on && j !== k ? acc + 2 ** j : acc), 0);
      const shape = histogramShape(db, c.signal!);
      const rows = shape.count === 0 ? [] : (db.prepare(
        `SELECT ${shape.binExpr} b, count(*) n, sum((coalesce(m.mask, 0) & ?) = 0) kept
         FROM signals s LEFT JOIN temp.curate_mask m ON m.item_id = s.item_id WHERE s.name = ? GROUP BY b`,
      ).all(BigInt(others), c.signal) as { b: number; n: number; kept: number }[]);
      const { fine, fineKept } = binRows(shape, rows, true);
      const removedByOthers = masks.reduce((acc, m) => (enabled.some((on, j) => on && j !== k && hasBit(m.mask, j)) ? acc + m.n : acc), 0);
      const { bins: _b, binExpr: _e, ...rest } = shape;
      histograms[c.rule.id] = { ...rest, fine, fineKept, keptByOthers: total - removedByOthers, total };
    });
    db.exec('DELETE FROM temp.curate_mask');
    return { evaluation, histograms };
  })();
}

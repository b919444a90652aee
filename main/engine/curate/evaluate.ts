// Counts for a rule list in one pass over items: total, kept, removed, and per rule what it removes
// alone and what it adds in sequence. Cumulative counts partition the removed set, so they sum to
// `removed` and kept + removed = total by construction.
import type { EvaluationT, RuleInput, RuleT } from '../../api/methods/curation';
import type { Db } from '../store/database';
import { compileRules, removedPredicate } from './rules';

export function evaluateRules(db: Db, rules: readonly (RuleInput | RuleT)[]): EvaluationT {
  const compiled = compileRules(db, rules);
  const cols: string[] = ['count(*) AS total', `coalesce(sum(${removedPredicate(compiled)}), 0) AS removed`];
  const earlier: string[] = [];
  compiled.forEach((c, k) => {
    cols.push(`coalesce(sum(${c.removes}), 0) AS a${k}`);
    if (!c.rule.enabled) {
      cols.push(`0 AS c${k}`);
      return;
    }
    cols.push(`coalesce(sum(${c.removes}${earlier.length ? ` AND NOT (${earlier.join(' OR ')})` : ''}), 0) AS c${k}`);
    earlier.push(c.removes);
  });
  const row = db.prepare(`SELECT ${cols.join(', ')} FROM items i`).get() as Record<string, number>;
  const withSignal = db.prepare('SELECT count(*) FROM signals WHERE name = ?').pluck();
  return {
    total: row.total,
    removed: row.removed,
    kept: row.total - row.removed,
    rules: compiled.map((c, k) => ({
      id: c.rule.id,
      removedAlone: row[`a${k}`],
      removedCumulative: row[`c${k}`],
      // Only threshold rules judge a measurement; for duplicate rules the signal marks what they remove.
      withSignal: c.signal && c.threshold !== null ? (withSignal.get(c.signal) as number) : null,
      threshold: c.threshold,
    })),
  };
}

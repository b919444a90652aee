// Histograms of one signal, computed in SQL. We return fine bins (not display bins): the UI groups them
// for drawing and sums them to count kept/removed instantly while a threshold handle moves, with no
// round trip. `fineKept` counts only items the other enabled rules keep, so the overall kept count
// while dragging is exact too: kept = keptByOthers - (fineKept bins this rule would remove).
// Integer signals with a small range get one bin per value, so their counts are exact at any threshold;
// continuous ones snap the handle to fine-bin edges (1024 bins: ~0.1% of the range).
import type { HistogramT, RuleInput, RuleT } from '../../domain/curation';
import type { Db } from '../store/database';
import { compileRules, removedPredicate } from './rules';
import { SIGNAL } from './signals';
import { totalItems } from '../store/items';

/** Heavy-tailed signals read better on a log axis (ln(1+v)). */
export const LOG_SIGNALS = new Set<string>([SIGNAL.sharpness]);
const MAX_INTEGER_BINS = 2048;

export interface HistogramOptions { scale?: 'linear' | 'log'; bins?: number; rules?: readonly (RuleInput | RuleT)[]; excludeRule?: string }

/** Bin layout of a signal: range, scale, and the SQL expression of a row's bin (over alias `s`). */
export interface HistogramShape {
  name: string; count: number; min: number; max: number; scale: 'linear' | 'log'; integer: boolean;
  lo: number; hi: number; bins: number; binExpr: string;
}

export function histogramShape(db: Db, name: string, opts: Pick<HistogramOptions, 'scale' | 'bins'> = {}): HistogramShape {
  const stat = db.prepare('SELECT count(*) n, min(value) min, max(value) max, coalesce(sum(value != CAST(value AS INTEGER)), 0) frac FROM signals WHERE name = ?')
    .get(name) as { n: number; min: number | null; max: number | null; frac: number };
  const min = stat.min ?? 0;
  const max = stat.max ?? 0;
  const scale = opts.scale ?? (LOG_SIGNALS.has(name) && min >= 0 ? 'log' : 'linear');
  const integer = scale === 'linear' && stat.frac === 0 && max - min + 1 <= MAX_INTEGER_BINS;
  const bins = integer ? max - min + 1 : opts.bins ?? 1024;
  // Integer bins are centred on each value: bin b holds exactly min + b.
  // Continuous: the top edge sits a hair above the maximum, so the maximum lies inside the last bin and
  // a handle at the very end means "remove everything" exactly as the SQL would.
  const [lo, top] = integer ? [min - 0.5, max + 0.5] : scale === 'log' ? [Math.log1p(min), Math.log1p(max)] : [min, max];
  const hi = integer ? top : top + Math.max(1e-9, (top - lo) * 1e-6);
  const width = hi > lo ? (hi - lo) / bins : 1;
  const x = scale === 'log' ? 'ln(1 + s.value)' : 's.value';
  const binExpr = `max(0, min(${bins - 1}, CAST((${x} - ${lo}) / ${width} AS INTEGER)))`;
  return { name, count: stat.n, min, max, scale, integer, lo, hi, bins, binExpr };
}

/** Fills fine (and fineKept) from rows of (bin, n, kept). */
export function binRows(shape: HistogramShape, rows: { b: number; n: number; kept: number }[], withKept: boolean): { fine: number[]; fineKept: number[] | null } {
  const fine = new Array<number>(shape.bins).fill(0);
  const fineKept = withKept ? new Array<number>(shape.bins).fill(0) : null;
  for (const r of rows) {
    fine[r.b] += r.n;
    if (fineKept) fineKept[r.b] += r.kept;
  }
  return { fine, fineKept };
}

export function signalHistogram(db: Db, name: string, opts: HistogramOptions = {}): HistogramT {
  const total = totalItems(db);
  const shape = histogramShape(db, name, opts);
  // One scan of the signal's index range: fine bins, and (with rules) the same bins among items the
  // other enabled rules keep; the removed set is built once per statement.
  const others = opts.rules ? compileRules(db, opts.rules).filter((c) => c.rule.id !== opts.excludeRule) : null;
  const keptExpr = others ? `sum(NOT ${removedPredicate(others, 's.item_id')})` : '0';
  const rows = shape.count === 0 ? [] : (db.prepare(`SELECT ${shape.binExpr} b, count(*) n, ${keptExpr} kept FROM signals s WHERE s.name = ? GROUP BY b`).all(name) as { b: number; n: number; kept: number }[]);
  const { fine, fineKept } = binRows(shape, rows, others !== null);
  const keptByOthers = others ? total - (db.prepare(`SELECT count(*) FROM items i WHERE ${removedPredicate(others)}`).pluck().get() as number) : null;
  const { bins: _bins, binExpr: _expr, ...rest } = shape;
  return { ...rest, fine, fineKept, keptByOthers, total };
}

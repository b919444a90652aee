// The dataset card (README.md) written into every export: what was kept, what each filter removed, which models.
import { WINNOW_VERSION_FOR_CARD } from './version';
import { SelectionStore, selectionCounts } from '../curate/selection';
import { compileRules } from '../curate/rules';
import type { Project } from '../project';
import type { WriterSummary } from './types';

export interface CardInput {
  project: Project;
  format: { id: string; name: string };
  selection: string | null;
  options: Record<string, unknown>;
  selected: number;
  summary: WriterSummary;
  annotations: { kept: number; droppedRejected: number; droppedProposed: number; byLabel: Map<string, number> };
  date: Date;
}

const tableExists = (p: Project, name: string) => p.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function datasetCard(c: CardInput): string {
  const p = c.project;
  const lines: string[] = [];
  const counts = selectionCounts(p, c.selection);
  lines.push('---', `pretty_name: ${JSON.stringify(p.name)}`, `size_categories: [${sizeCategory(c.summary.written)}]`, 'tags: [winnow, image-text]', '---', '');
  lines.push(`# ${p.name}`, '');
  lines.push(`Exported by Winnow ${WINNOW_VERSION_FOR_CARD} on ${c.date.toISOString()} as **${c.format.name}** (\`${c.format.id}\`).`, '');
  lines.push('## Counts', '', '| | items |', '| --- | ---: |');
  lines.push(`| in the project | ${counts.total} |`, `| removed by the selection | ${counts.removed} |`, `| selected | ${c.selected} |`);
  lines.push(`| written | ${c.summary.written} |`, `| skipped (no image bytes, e.g. URL not downloaded) | ${c.summary.skipped} |`, '');

  lines.push('## Selection', '');
  if (c.selection === null) lines.push('All items (no saved selection).', '');
  else {
    lines.push(`Saved selection **${c.selection}**. Each enabled rule and the items it removes on its own (an item may fail several):`, '');
    try {
      const rules = new SelectionStore(p.db).get(c.selection).rules;
      lines.push('| rule | signal | keep if | removes |', '| --- | --- | --- | ---: |');
      for (const r of compileRules(p.db, rules)) {
        if (!r.rule.enabled) continue;
        const n = p.db.prepare(`SELECT count(*) FROM items i WHERE ${r.removes}`).pluck().get() as number;
        const keep = r.threshold !== null ? `${r.rule.op ?? '>='} ${r.threshold}${r.rule.keepTop !== undefined ? ` (top ${r.rule.keepTop * 100}%)` : ''}` : '—';
        // The rule's id and kind, not its label: a label may describe the kind's default threshold rather than this one.
        lines.push(`| ${esc(r.rule.id === r.rule.kind ? r.rule.kind : `${r.rule.id} (${r.rule.kind})`)} | ${r.signal ?? '—'} | ${keep} | ${n} |`);
      }
    } catch (err) {
      lines.push(`(rules unavailable: ${(err as Error).message})`);
    }
    lines.push('');
  }

  lines.push('## Annotations', '');
  lines.push(`Kept ${c.annotations.kept} (states source/accepted/edited${c.options.includeProposed ? '/proposed' : ''}); dropped ${c.annotations.droppedRejected} rejected in review` +
    `${c.options.includeProposed ? '' : ` and ${c.annotations.droppedProposed} proposals not reviewed`}.`, '');
  if (c.annotations.byLabel.size) {
    lines.push('| label | annotations |', '| --- | ---: |');
    for (const [label, n] of [...c.annotations.byLabel].sort((a, b) => b[1] - a[1])) lines.push(`| ${esc(label)} | ${n} |`);
    lines.push('');
  }

  lines.push('## Models', '');
  const models: string[] = [];
  if (tableExists(p, 'embedding_sets')) {
    for (const r of p.db.prepare('SELECT model, dim, model_hash FROM embedding_sets ORDER BY id').all() as { model: string; dim: number; model_hash: string | null }[]) {
      models.push(`| ${esc(r.model)} | embeddings (${r.dim}-d) | ${r.model_hash ?? '—'} |`);
    }
  }
  for (const r of p.runs.signalModels()) models.push(`| ${esc(r.model)} | signals: ${esc(r.names.join(','))} | ${r.modelHash ?? '—'} |`);
  for (const r of p.db.prepare(`SELECT origin, count(*) n FROM annotations WHERE origin != 'source' GROUP BY origin`).all() as { origin: string; n: number }[]) {
    models.push(`| ${esc(r.origin)} | ${r.n} annotations | — |`);
  }
  lines.push(...(models.length ? ['| model | used for | hash |', '| --- | --- | --- |', ...models] : ['No model outputs were used.']), '');

  lines.push('## Export options', '', '```json', JSON.stringify(c.options, null, 2), '```', '');
  const shown = c.summary.files.slice(0, 12).map((f) => `\`${f}\``).join(', ');
  lines.push('## Files', '', ...c.summary.notes.map((n) => `- ${n}`), `- ${shown}${c.summary.files.length > 12 ? `, … (${c.summary.files.length} in all)` : ''}`, '');
  lines.push('## Sources', '');
  for (const s of p.sources.list()) lines.push(`- \`${s.kind}\` ${esc(s.name)}: ${s.itemCount} items, ${s.issueCount} issues`);
  lines.push('');
  return lines.join('\n');
}

function sizeCategory(n: number): string {
  if (n < 1000) return 'n<1K';
  if (n < 10_000) return '1K<n<10K';
  if (n < 100_000) return '10K<n<100K';
  if (n < 1_000_000) return '100K<n<1M';
  return 'n>1M';
}

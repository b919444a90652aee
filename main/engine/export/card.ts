// The dataset card (README.md) written into every export: what was kept, what each filter removed, which models.
import { WINNOW_VERSION_FOR_CARD } from './version';
import { SelectionStore, selectionCounts } from '../curate/selection';
import { normalizeRule } from '../curate/rules';
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
    // A saved selection is a snapshot: its counts and runs are the ones frozen with it, so the card of
    // any export from it says the same thing whatever ran since.
    const snap = new SelectionStore(p.db).get(c.selection);
    lines.push(`Saved selection **${esc(c.selection)}**, a snapshot frozen ${snap.frozenAt ?? 'on upgrade'}: ${snap.kept} of ${snap.total ?? counts.total} items kept. Each enabled rule and the items it removed on its own then (an item may fail several):`, '');
    lines.push('| rule | signal | keep if | removes |', '| --- | --- | --- | ---: |');
    const byId = new Map((snap.evaluation?.rules ?? []).map((r) => [r.id, r]));
    for (const rule of snap.rules.map(normalizeRule)) {
      if (!rule.enabled) continue;
      const ev = byId.get(rule.id);
      const threshold = ev?.threshold ?? null;
      const keep = threshold !== null ? `${rule.op ?? '>='} ${threshold}${rule.keepTop !== undefined ? ` (top ${rule.keepTop * 100}%)` : ''}` : '—';
      // The rule's id and kind, not its label: a label may describe the kind's default threshold rather than this one.
      lines.push(`| ${esc(rule.id === rule.kind ? rule.kind : `${rule.id} (${rule.kind})`)} | ${rule.signal ?? '—'} | ${keep} | ${ev?.removedAlone ?? '—'} |`);
    }
    const runs = p.runs.many(snap.runIds);
    if (runs.length) {
      lines.push('', 'The snapshot was made from these runs:', '', '| run | job | model | hash | finished |', '| --- | --- | --- | --- | --- |');
      for (const r of runs) lines.push(`| #${r.id} ${esc(r.kind)} | ${r.jobId ?? '—'} | ${esc(r.model ?? '—')} | ${r.modelHash ?? '—'} | ${r.finishedAt ?? '—'} |`);
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

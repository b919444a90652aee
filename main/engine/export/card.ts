// The dataset card (README.md) written into every export: built from what the writer reports it wrote (counts per file, labels,
// objects, scores, models, sources), plus the selection's rules. Every name that came from data is escaped for Markdown.
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
  /** What the export left out before the writer saw it: review decisions applied and undecodable items. */
  review: { droppedRejected: number; droppedProposed: number; undecodable: number };
  scoreNames: string[];
  date: Date;
}

/**
 * Escapes text for Markdown so a name can never open a link, an image, emphasis, code, a table cell, an HTML tag or an entity,
 * nor become an autolink: the characters that start those get a backslash (CommonMark allows it before any ASCII punctuation),
 * `_` only where it could start emphasis (not inside a word), and `://` / `www.` are broken; line breaks become spaces.
 */
export function mdEscape(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ')
    .replace(/[\\`*{}[\]()<>#!|~&@$"]/g, '\\$&')
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
    .replace(/:\/\//g, '\\://')
    .replace(/\b(www)\./gi, '$1\\.');
}

const byCount = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));

export function datasetCard(c: CardInput): string {
  const p = c.project;
  const s = c.summary;
  const w = s.counts;
  const lines: string[] = [];
  const counts = selectionCounts(p, c.selection);
  lines.push('---', `pretty_name: ${JSON.stringify(p.name)}`, `size_categories: [${sizeCategory(s.written)}]`, 'tags: [winnow, image-text]', '---', '');
  lines.push(`# ${mdEscape(p.name)}`, '');
  lines.push(`Exported by Winnow ${WINNOW_VERSION_FOR_CARD} on ${c.date.toISOString()} as **${mdEscape(c.format.name)}** (${mdEscape(c.format.id)}).`, '');
  lines.push('## Counts', '', '| | items |', '| --- | ---: |');
  lines.push(`| in the project | ${counts.total} |`, `| removed by the selection | ${counts.removed} |`, `| selected | ${c.selected} |`);
  lines.push(`| left out: undecodable | ${c.review.undecodable} |`);
  lines.push(`| written | ${s.written} |`, `| skipped (no image bytes, e.g. URL not downloaded) | ${s.skipped} |`, `| with a caption | ${w.captions} |`, '');

  lines.push('## What this format holds', '');
  lines.push('Carried:', '', ...s.carries.map((x) => `- ${x}`), '');
  lines.push('Left out (no place for it in this format):', '', ...(s.leftOut.length ? s.leftOut.map((x) => `- ${x}`) : ['- nothing']), '');

  lines.push('## Selection', '');
  if (c.selection === null) lines.push('All items (no saved selection).', '');
  else {
    // A saved selection is a snapshot: its counts and runs are the ones frozen with it, so the card of
    // any export from it says the same thing whatever ran since.
    const snap = new SelectionStore(p.db).get(c.selection);
    lines.push(`Saved selection **${mdEscape(c.selection)}**, a snapshot frozen ${snap.frozenAt ?? 'on upgrade'}: ${snap.kept} of ${snap.total ?? counts.total} items kept. Each enabled rule and the items it removed on its own then (an item may fail several):`, '');
    lines.push('| rule | signal | keep if | removes |', '| --- | --- | --- | ---: |');
    const byId = new Map((snap.evaluation?.rules ?? []).map((r) => [r.id, r]));
    for (const rule of snap.rules.map(normalizeRule)) {
      if (!rule.enabled) continue;
      const ev = byId.get(rule.id);
      const threshold = ev?.threshold ?? null;
      const keep = threshold !== null ? `${rule.op ?? '>='} ${threshold}${rule.keepTop !== undefined ? ` (top ${rule.keepTop * 100}%)` : ''}` : '—';
      // The rule's id and kind, not its label: a label may describe the kind's default threshold rather than this one.
      lines.push(`| ${mdEscape(rule.id === rule.kind ? rule.kind : `${rule.id} (${rule.kind})`)} | ${rule.signal ? mdEscape(rule.signal) : '—'} | ${keep} | ${ev?.removedAlone ?? '—'} |`);
    }
    const runs = p.runs.many(snap.runIds);
    if (runs.length) {
      lines.push('', 'The snapshot was made from these runs:', '', '| run | job | model | hash | finished |', '| --- | --- | --- | --- | --- |');
      for (const r of runs) lines.push(`| #${r.id} ${mdEscape(r.kind)} | ${r.jobId ?? '—'} | ${mdEscape(r.model ?? '—')} | ${r.modelHash ?? '—'} | ${r.finishedAt ?? '—'} |`);
    }
    lines.push('');
  }

  lines.push('## Annotations written', '');
  const objects = [...w.objects.values()].reduce((a, b) => a + b, 0);
  const labels = [...w.labels.values()].reduce((a, b) => a + b, 0);
  lines.push(`${objects} objects (${w.masks} with a mask) and ${labels} image-level labels written (review states source/accepted/edited${c.options.includeProposed ? '/proposed' : ''}). ` +
    `Not passed to the writer: ${c.review.droppedRejected} rejected in review${c.options.includeProposed ? '' : `, ${c.review.droppedProposed} proposals not reviewed`}.`, '');
  if (w.objects.size) lines.push('| object label | written |', '| --- | ---: |', ...byCount(w.objects).map(([l, n]) => `| ${mdEscape(l)} | ${n} |`), '');
  if (w.labels.size) lines.push('| image label | written |', '| --- | ---: |', ...byCount(w.labels).map(([l, n]) => `| ${mdEscape(l)} | ${n} |`), '');

  lines.push('## Scores written', '');
  if (w.scores.size) lines.push('| score | items |', '| --- | ---: |', ...byCount(w.scores).map(([l, n]) => `| ${mdEscape(l)} | ${n} |`), '');
  else if (!c.scoreNames.length) lines.push('None (no scores chosen).', '');
  else if (s.leftOut.some((x) => /\bscores\b/.test(x))) lines.push(`None: this format has no place for scores (asked for ${c.scoreNames.map(mdEscape).join(', ')}).`, '');
  else lines.push(`None (asked for ${c.scoreNames.map(mdEscape).join(', ')}; no written item has them).`, '');

  lines.push('## Models', '');
  const models = [...w.models].map(([m, use]) => `| ${mdEscape(m)} | ${mdEscape(use)} |`);
  lines.push(...(models.length ? ['| model | used for |', '| --- | --- |', ...models] : ['No model outputs were written.']), '');

  lines.push('## Export options', '', '```json', JSON.stringify(c.options, null, 2).replace(/```/g, '`\u200b``'), '```', '');
  lines.push('## Files', '', ...s.notes.map((n) => `- ${n}`));
  const perFile = [...w.perFile];
  if (perFile.length) {
    lines.push('', '| file | rows / samples / images |', '| --- | ---: |', ...perFile.slice(0, 50).map(([f, n]) => `| ${f} | ${n} |`));
    if (perFile.length > 50) lines.push(`| … ${perFile.length - 50} more | ${perFile.slice(50).reduce((a, [, n]) => a + n, 0)} |`);
  }
  const others = s.files.filter((f) => !w.perFile.has(f));
  if (others.length) lines.push('', `Also: ${others.slice(0, 12).join(', ')}${others.length > 12 ? `, … (${others.length} in all)` : ''}`);
  lines.push('');
  lines.push('## Sources', '');
  for (const [name, n] of byCount(w.sources)) lines.push(`- ${mdEscape(name)}: ${n} items written`);
  if (!w.sources.size) lines.push('- none');
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

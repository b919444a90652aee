// Where finished adaptations are kept: one report per run in the meta table (the accuracy chart reads
// them) and the fitted head as <project>/adapt/head-<job>.onnx.
import path from 'node:path';
import type { AdaptReportT } from '../../domain/adapt';
import type { Project } from '../project';

export const ADAPT_DIR = 'adapt';
export const REPORT_KEY = 'adapt.report.';

export function setMeta(project: Project, key: string, value: unknown): void {
  project.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, JSON.stringify(value));
}

/** Every finished adaptation's report, oldest first (the accuracy-as-reviews-accumulate chart). */
export function adaptReports(project: Project): AdaptReportT[] {
  return (project.db.prepare(`SELECT value FROM meta WHERE key LIKE '${REPORT_KEY}%' ORDER BY key`).pluck().all() as string[]).map((v) => JSON.parse(v) as AdaptReportT);
}

/** Path of a finished adaptation's ONNX head. */
export function headPath(project: Project, job: number): string {
  return path.join(project.dir, ADAPT_DIR, `head-${job}.onnx`);
}

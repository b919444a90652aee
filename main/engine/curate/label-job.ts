// The zero-shot labeling job (`curate.label`): streams a model's image matrix, scores every item
// against the class embeddings and stores the result as proposed label annotations + signals.
//
// Single-label: softmax over logitScale × cosine; the top-k classes become annotations (score = the
// probability); an item whose top-1 probability is below `threshold` is "uncertain" (its top-k are
// still stored, marked uncertain, but it is not counted under any label). Runs add up: an earlier run's
// proposals are kept and marked superseded (annotations.superseded_by) item by item as this run scores them.
// Multi-label: an independent sigmoid per class, sigmoid(logitScale × (cos − t_c)), with t_c the
// class's cosine threshold: given per class, or chosen automatically per class (the minimum-error
// cut of the upper tail of that class's cosine histogram over the dataset, a first streaming pass;
// see AUTO_UPPER_QUANTILE). Every class whose
// probability reaches `threshold` (default 0.5, i.e. cos ≥ t_c) is assigned; none = uncertain.
import { z } from 'zod';
import { LabelSettings } from '../../domain/stage-settings';
import { defineJob } from '../jobs/define-job';
import type { Project } from '../project';
import type { ActiveModel } from '../vision/active-model';
import { embeddedCount, embeddedPages, readRows, requireSet, totalEmbedded } from './embedding-pages';
import { LABEL_SIGNAL, type LabelRun } from './labels-query';
import { SignalStore } from './signals';
import { type ClassSpec, classEmbeddings, configHash, cosines, CosineHistogram, sigmoidProb, softmax, topK } from './zero-shot';

export const LABEL_JOB = 'curate.label';

// The stored names live with the read side (labels-query.ts), which a search loads without this job's schemas.
export { LABEL_SIGNAL, type LabelRun } from './labels-query';

export const LabelParams = LabelSettings.extend({
  model: z.string().min(1),
  /** Where each model-dependent value came from (explicit, project, model): recorded with the run. */
  calibration: z.record(z.string(), z.string()).optional(),
  /** Items per committed batch (default 512; tests use small batches to exercise resume). */
  batch: z.number().int().positive().optional(),
});
export type LabelParams = z.output<typeof LabelParams>;

const LabelCheckpoint = z.object({ lastItemId: z.number().int(), cleared: z.literal(true), thresholds: z.array(z.number()).optional() });
const LabelResult = z.object({ model: z.string(), run: z.enum(['zero-shot', 'multi-label']), classes: z.number().int() });

/** The annotation params of a label proposal (the full configuration is in meta `label.config.<config>`). */
export interface LabelAnnotationParams {
  run: LabelRun;
  job: number;
  config: string;
  rank: number;
  /** True when the run assigns this label to the item (counted, filterable); false for uncertain top-k. */
  assigned: boolean;
  threshold: number;
  /** Multi-label: the class's cosine threshold t_c. */
  t?: number;
}

export const runOf = (p: Pick<LabelParams, 'multiLabel'>): LabelRun => (p.multiLabel ? 'multi-label' : 'zero-shot');

export function labelJob(project: Project, active: ActiveModel) {
  return defineJob({
    kind: LABEL_JOB,
    writes: ['signals', 'annotations'],
    params: LabelParams, checkpoint: LabelCheckpoint, result: LabelResult,
    title: (p) => `${p.multiLabel ? 'Multi-label' : 'Zero-shot'} labels (${p.classes.length} classes) with ${p.model}`,
    async run(ctx) {
      const p = ctx.params;
      const { id: model, model: clip, hash } = await active.get(p.model);
      const set = requireSet(project, model);
      const dim = set.dim;
      if (clip.dim !== dim) throw new Error(`${model} gives ${clip.dim}-d embeddings but the stored set has ${dim}`);
      const run = runOf(p);
      const config = configHash({ model, hash, classes: p.classes, templates: p.templates, k: p.k, threshold: p.threshold, multiLabel: p.multiLabel, thresholds: p.thresholds ?? null, ...(p.logitScale !== undefined && { logitScale: p.logitScale }) });
      const classes = await classEmbeddings((t) => clip.embedTexts(t), dim, p.classes, p.templates);
      const scale = p.logitScale ?? clip.logitScale;
      const images = project.embeddings.matrix(set, 'image');
      const signals = new SignalStore(project.db);
      const insertMeta = project.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
      // A new run adds to the earlier ones: their proposals of the same kind stay (listed per run) but stop being the
      // item's current label once this run has scored the item; a zero-shot run also supersedes an adapted one (both are
      // the project's single-label proposals). Reviewed labels are never superseded.
      const supersede = project.db.prepare(`UPDATE annotations SET superseded_by = ? WHERE item_id = ? AND kind = 'label' AND state = 'proposed'
        AND superseded_by IS NULL AND run_id IS NOT ? AND json_extract(params, '$.run') IN (?, ?)`);
      const runId = project.runs.forJob(ctx.jobId, LABEL_JOB, { model, modelHash: hash, params: { run, config, ...p, model } });
      try {
        ctx.setTotal(totalEmbedded(project, set));
        let checkpoint = ctx.checkpoint;
        if (!checkpoint) {
          const thresholds = p.multiLabel ? autoThresholds(project, set, images, classes, p, ctx.signal) : undefined;
          checkpoint = { lastItemId: 0, cleared: true, thresholds };
          const cp = checkpoint;
          ctx.commit(() => {
            for (const name of Object.values(LABEL_SIGNAL)) signals.deleteName(name);
            insertMeta.run(`label.config.${config}`, JSON.stringify({ run, ...p, model, modelHash: hash, logitScale: scale, thresholds: cp.thresholds && Object.fromEntries(p.classes.map((c, i) => [c.name, cp.thresholds![i]])) }));
          }, 0, cp);
        }
        const tc = checkpoint.thresholds;
        let done = embeddedCount(project, set, checkpoint.lastItemId);
        const cos = new Float32Array(p.classes.length);
        for (const page of embeddedPages(project, set, checkpoint.lastItemId, p.batch)) {
          ctx.signal.throwIfAborted();
          const vectors = readRows(images, page.map((r) => r.imageRow));
          const results = page.map((row, n) => {
            cosines(vectors.subarray(n * dim, (n + 1) * dim), classes, dim, cos);
            return p.multiLabel ? scoreMulti(cos, scale, tc!, p) : scoreSingle(cos, scale, p);
          });
          done += page.length;
          ctx.commit(() => {
            page.forEach((row, n) => {
              const r = results[n];
              supersede.run(runId, row.itemId, runId, run, run === 'zero-shot' ? 'adapted' : run);
              r.labels.forEach((l, rank) => {
                const params: LabelAnnotationParams = { run, job: ctx.jobId, config, rank: rank + 1, assigned: !r.uncertain && (p.multiLabel || rank === 0), threshold: p.threshold, ...(tc && { t: round(tc[l.index]) }) };
                project.annotations.insert(row.itemId, { kind: 'label', label: p.classes[l.index].name, score: l.prob, origin: model, params: params as unknown as Record<string, unknown>, state: 'proposed', createdBy: `job:${ctx.jobId}`, runId });
              });
              signals.set(row.itemId, LABEL_SIGNAL.confidence, r.confidence, runId);
              signals.set(row.itemId, LABEL_SIGNAL.margin, r.margin, runId);
              signals.set(row.itemId, LABEL_SIGNAL.uncertain, r.uncertain ? 1 : 0, runId);
            });
          }, done, { ...checkpoint!, lastItemId: page[page.length - 1].itemId });
        }
      } finally {
        images.close();
      }
      project.runs.finish(runId);
      project.notifyItemsChanged(null, 0, false);
      return { model, run, classes: p.classes.length };
    },
  });
}

/**
 * The automatic t_c is the minimum-error cut of the top 10% of a class's cosines: a class is present in
 * few images, and below that sit "absent" and "partly matching" (same colour or same shape) modes.
 * Measured on 300 two-object scenes with winnow-clip-mini (64 classes): P/R 0.39/0.37 vs 0.10/0.68 for
 * the cut over the whole histogram; a global image embedding separates two objects' classes poorly.
 */
const AUTO_UPPER_QUANTILE = 0.9;

const round = (v: number) => Math.round(v * 1e6) / 1e6;

interface Scored { labels: { index: number; prob: number }[]; confidence: number; margin: number; uncertain: boolean }

export function scoreSingle(cos: Float32Array, scale: number, p: Pick<LabelParams, 'k' | 'threshold'>): Scored {
  const probs = softmax(cos, scale);
  const top = topK(probs, Math.max(2, p.k));
  const p1 = probs[top[0]];
  const p2 = top.length > 1 ? probs[top[1]] : 0;
  return { labels: top.slice(0, p.k).map((index) => ({ index, prob: round(probs[index]) })), confidence: p1, margin: p1 - p2, uncertain: p1 < p.threshold };
}

export function scoreMulti(cos: Float32Array, scale: number, t: readonly number[], p: Pick<LabelParams, 'k' | 'threshold'>): Scored {
  const probs = Array.from(cos, (c, i) => sigmoidProb(c, scale, t[i]));
  const order = topK(probs, probs.length);
  const assigned = order.filter((i) => probs[i] >= p.threshold).slice(0, p.k);
  const p1 = probs[order[0]] ?? 0;
  const p2 = probs[order[1]] ?? 0;
  return { labels: assigned.map((index) => ({ index, prob: round(probs[index]) })), confidence: p1, margin: p1 - p2, uncertain: assigned.length === 0 };
}

/** Per-class cosine thresholds: the caller's, else the minimum-error cut of the class's cosine histogram (one streaming pass). */
function autoThresholds(project: Project, set: ReturnType<typeof requireSet>, images: ReturnType<Project['embeddings']['matrix']>, classes: Float32Array, p: LabelParams, signal: AbortSignal): number[] {
  const given = p.classes.map((c) => p.thresholds?.[c.name]);
  if (given.every((t) => t !== undefined)) return given as number[];
  const hists = p.classes.map(() => new CosineHistogram());
  const dim = set.dim;
  const cos = new Float32Array(p.classes.length);
  for (const page of embeddedPages(project, set, 0)) {
    if (signal.aborted) break;
    const vectors = readRows(images, page.map((r) => r.imageRow));
    for (let n = 0; n < page.length; n++) {
      cosines(vectors.subarray(n * dim, (n + 1) * dim), classes, dim, cos);
      for (let c = 0; c < cos.length; c++) hists[c].add(cos[c]);
    }
  }
  return given.map((t, c) => t ?? hists[c].minError(AUTO_UPPER_QUANTILE));
}

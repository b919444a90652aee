// The adaptation job (`adapt.run`): fits the adapted classifier from the reviews (cross-validated
// choice between the text classifier, a Tip-Adapter cache and a linear probe; see select.ts), saves
// it as an ONNX head under <project>/adapt/, then labels every embedded item the curator has not
// settled as a new labeling run ('adapted', recorded with its training-set size). The run replaces the
// single-label proposals (zero-shot or an earlier adapted run) and the label signals; reviewed
// labels stay. Resumable: the head is fitted once, the labeling checkpoints per page.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AdaptReport, type AdaptReportT } from '../../domain/adapt';
import { embeddedCount, embeddedPages, readRows, requireSet, totalEmbedded } from '../curate/embedding-pages';
import { LABEL_SIGNAL, type LabelAnnotationParams } from '../curate/label-job';
import { SignalStore } from '../curate/signals';
import { classEmbeddings, configHash } from '../curate/zero-shot';
import { defineJob } from '../jobs/define-job';
import type { Project } from '../project';
import type { ActiveModel } from '../vision/active-model';
import { ApiError } from '../../domain/errors';
import { rank, zeroShotClassifier } from './classifier';
import { readHeadFolder } from './distill';
import { classifierToOnnx, OnnxHead } from './onnx-head';
import { adaptClassifier } from './select';
import { accuracyCurve } from './curve';
import { headPath, REPORT_KEY, setMeta } from './reports';
import { reviewedExamples, SETTLED_ITEMS } from './training-set';

export const ADAPT_JOB = 'adapt.run';
export const ADAPT_RUN = 'adapted' as const;
const PAGE = 2048;

export const AdaptParams = z.object({
  model: z.string().min(1),
  classes: z.array(z.object({ name: z.string().min(1), synonyms: z.array(z.string()).optional(), description: z.string().optional() })).min(1),
  templates: z.array(z.string()),
  k: z.number().int().positive(),
  threshold: z.number(),
  /** A distilled head folder to label with instead of fitting one (its card names classes and embedding model). */
  head: z.string().optional(),
  /** Items per committed page (tests use small pages to exercise resume). */
  batch: z.number().int().positive().optional(),
});
export type AdaptParams = z.output<typeof AdaptParams>;

/** The head is fitted once (its file and report are the checkpoint); labeling then resumes after the last item. */
const AdaptCheckpoint = z.object({ lastItemId: z.number().int(), head: z.string(), report: AdaptReport, config: z.string() });
const AdaptResult = z.object({ applied: z.number().int(), trainingSize: z.number().int() });

export interface AdaptAnnotationParams extends LabelAnnotationParams { trainingSize: number; method: string }

export function adaptJob(project: Project, active: ActiveModel) {
  return defineJob({
    kind: ADAPT_JOB,
    params: AdaptParams, checkpoint: AdaptCheckpoint, result: AdaptResult,
    writes: ['signals', 'annotations'],
    title: (p) => `Adapt labels from reviews (${p.classes.length} classes) with ${p.model}`,
    async run(ctx) {
      const p = ctx.params;
      const started = performance.now();
      const { id: model, model: clip, hash } = await active.get(p.model);
      const set = requireSet(project, model);
      const loaded = p.head ? readHeadFolder(p.head) : null;
      if (loaded && (loaded.card.embeddingModel !== model || loaded.card.dim !== set.dim)) {
        throw new ApiError('bad_input', `${p.head} reads ${loaded.card.dim}-d embeddings of ${loaded.card.embeddingModel}, not ${set.dim}-d ones of ${model}`);
      }
      const classes = loaded ? loaded.card.classes.map((name) => ({ name })) : p.classes;
      const names = classes.map((c) => c.name);
      ctx.setTotal(totalEmbedded(project, set));
      let checkpoint = ctx.checkpoint;
      if (!checkpoint) {
        let report: AdaptReportT;
        let onnxBytes: Uint8Array;
        if (loaded) {
          const c = loaded.card;
          const candidate = (method: AdaptReportT['chosen']['method'], accuracy: number) => ({ method, params: method === c.method ? c.params : {}, accuracy, logLoss: 0 });
          report = { job: ctx.jobId, at: new Date().toISOString(), model, classes: names, trainingSize: c.trainingSize, labelled: c.trainingSize, rejectedOnly: 0, folds: 0, chosen: candidate(c.method, c.accuracy), zeroShot: candidate('zero-shot', c.zeroShotAccuracy), applied: 0, seconds: 0, head: p.head };
          onnxBytes = loaded.onnx;
        } else {
          const text = await classEmbeddings((t) => clip.embedTexts(t), set.dim, classes, p.templates);
          const base = zeroShotClassifier(text, set.dim, clip.logitScale);
          const training = reviewedExamples(project, set, names);
          const adapted = adaptClassifier(base, training.examples, { seed: ctx.jobId });
          report = {
            job: ctx.jobId, at: new Date().toISOString(), model, classes: names, trainingSize: training.itemIds.length, labelled: training.labelled,
            rejectedOnly: training.rejectedOnly, folds: adapted.folds, chosen: adapted.chosen, zeroShot: adapted.zeroShot, applied: 0, seconds: 0,
            curve: accuracyCurve(base, training.examples, training.reviewOrder, { reviews: training.itemIds.length, accuracy: adapted.chosen.accuracy, zeroShot: adapted.zeroShot.accuracy, method: adapted.chosen.method, folds: adapted.folds }, ctx.jobId),
          };
          onnxBytes = classifierToOnnx(adapted.classifier, { docString: `Winnow adapted head over ${model} image embeddings`, metadata: { classes: JSON.stringify(names), embedding_model: model } });
        }
        const config = configHash({ model, hash, classes, templates: p.templates, adapted: ctx.jobId });
        const head = headPath(project, ctx.jobId);
        mkdirSync(path.dirname(head), { recursive: true });
        writeFileSync(head, onnxBytes);
        checkpoint = { lastItemId: 0, head: path.relative(project.dir, head), report, config };
        const cp = checkpoint;
        ctx.commit(() => {
          project.db.prepare(`DELETE FROM annotations WHERE kind = 'label' AND state = 'proposed' AND json_extract(params, '$.run') IN ('zero-shot', '${ADAPT_RUN}')`).run();
          const signals = new SignalStore(project.db);
          for (const name of Object.values(LABEL_SIGNAL)) signals.deleteName(name);
          setMeta(project, `label.config.${config}`, { run: ADAPT_RUN, ...p, classes, model, modelHash: hash, logitScale: clip.logitScale, adapted: { job: ctx.jobId, method: report.chosen.method, trainingSize: report.trainingSize } });
        }, 0, cp);
      }
      const cp = checkpoint;
      const head = await OnnxHead.load(readFileSync(path.join(project.dir, cp.head)));
      const images = project.embeddings.matrix(set, 'image');
      const signals = new SignalStore(project.db);
      // One run per adaptation: its signals and proposals point at it (model, hash, training-set size, method).
      const runId = project.runs.forJob(ctx.jobId, ADAPT_JOB, {
        model, modelHash: hash, params: { run: ADAPT_RUN, config: cp.config, trainingSize: cp.report.trainingSize, method: cp.report.chosen.method },
      });
      const settled = project.db.prepare(`SELECT 1 FROM (${SETTLED_ITEMS}) WHERE item_id = ?`).pluck();
      let done = embeddedCount(project, set, cp.lastItemId);
      let applied = (project.db.prepare(`SELECT count(DISTINCT item_id) FROM annotations WHERE kind = 'label' AND json_extract(params, '$.job') = ? AND json_extract(params, '$.run') = '${ADAPT_RUN}'`).pluck().get(ctx.jobId) as number);
      const C = classes.length;
      if (head.classes !== C) throw new ApiError('bad_input', `the head gives ${head.classes} classes, expected ${C}`);
      try {
        for (const page of embeddedPages(project, set, cp.lastItemId, p.batch ?? PAGE)) {
          if (ctx.signal.aborted) return;
          const open = page.filter((r) => !settled.get(r.itemId));
          const probs = await head.probs(readRows(images, open.map((r) => r.imageRow)));
          done += page.length;
          applied += open.length;
          ctx.commit(() => {
            open.forEach((row, n) => {
              const order = topOf(probs, n * C, C, Math.max(1, p.k));
              const r = rank(probs, n * C, C);
              const uncertain = r.confidence < p.threshold;
              order.forEach((k, i) => {
                const params: AdaptAnnotationParams = { run: ADAPT_RUN, job: ctx.jobId, config: cp.config, rank: i + 1, assigned: !uncertain && i === 0, threshold: p.threshold, trainingSize: cp.report.trainingSize, method: cp.report.chosen.method };
                project.annotations.insert(row.itemId, { kind: 'label', label: names[k], score: round(probs[n * C + k]), origin: model, params: params as unknown as Record<string, unknown>, state: 'proposed', createdBy: `job:${ctx.jobId}`, runId });
              });
              signals.set(row.itemId, LABEL_SIGNAL.confidence, r.confidence, runId);
              signals.set(row.itemId, LABEL_SIGNAL.margin, r.margin, runId);
              signals.set(row.itemId, LABEL_SIGNAL.uncertain, uncertain ? 1 : 0, runId);
            });
          }, done, { ...cp, lastItemId: page[page.length - 1].itemId });
        }
        project.runs.finish(runId);
        const report = { ...cp.report, applied, seconds: Math.round((performance.now() - started) / 10) / 100 };
        setMeta(project, `${REPORT_KEY}${String(ctx.jobId).padStart(8, '0')}`, report);
      } finally {
        images.close();
        await head.dispose();
      }
      project.notifyItemsChanged(null, 0, false);
      return { applied: (project.db.prepare(`SELECT count(DISTINCT item_id) FROM annotations WHERE kind = 'label' AND json_extract(params, '$.job') = ? AND json_extract(params, '$.run') = '${ADAPT_RUN}'`).pluck().get(ctx.jobId) as number), trainingSize: checkpoint.report.trainingSize };
    },
  });
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

function topOf(probs: Float32Array, offset: number, classes: number, k: number): number[] {
  const idx = Array.from({ length: classes }, (_, i) => i);
  idx.sort((a, b) => probs[offset + b] - probs[offset + a]);
  return idx.slice(0, Math.min(k, classes));
}

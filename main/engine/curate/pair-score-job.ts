// The pair score job (`curate.pairscore`): cosine of each image with its own caption, as signal
// `clip.pair` (model recorded). Items without a caption get none, so a rule on it never removes them.
// An absolute threshold or "keep top X%" is a plain signal rule (rules.ts, kind 'signal' + keepTop).
import { z } from 'zod';
import { defineJob } from '../jobs/define-job';
import type { Project } from '../project';
import type { ActiveModel } from '../vision/active-model';
import { embeddedCount, embeddedPages, readRows, requireSet, totalEmbedded } from './embedding-pages';
import { SignalStore } from './signals';
import { dot } from './zero-shot';

export const PAIR_JOB = 'curate.pairscore';
export const PAIR_SIGNAL = 'clip.pair';

/**
 * The same score kept per model (`clip.pair:<model>`), so the scores of several models live side by side;
 * `clip.pair` itself holds the latest run's (what the default rules and the export read).
 */
export function pairSignalOf(model: string): string {
  return `${PAIR_SIGNAL}:${model}`;
}

/** `threshold`: the model's calibrated keep-threshold (recorded with the run; the Filters view proposes it). */
export const PairParams = z.object({ model: z.string().min(1), threshold: z.number().min(-1).max(1).optional() });
export type PairParams = z.output<typeof PairParams>;
const PairCheckpoint = z.object({ lastItemId: z.number().int() });
const PairResult = z.object({ model: z.string(), scored: z.number().int() });

export function pairScoreJob(project: Project, active: ActiveModel) {
  return defineJob({
    kind: PAIR_JOB,
    writes: ['signals'],
    params: PairParams, checkpoint: PairCheckpoint, result: PairResult,
    title: (p) => `Image-caption scores with ${p.model}`,
    async run(ctx) {
      // The model is only resolved for its canonical id and hash; no inference runs here.
      const { id: model, hash } = await active.get(ctx.params.model);
      const set = requireSet(project, model);
      const images = project.embeddings.matrix(set, 'image');
      const texts = project.embeddings.matrix(set, 'text');
      const signals = new SignalStore(project.db);
      const runId = project.runs.forJob(ctx.jobId, PAIR_JOB, { model, modelHash: hash, params: { score: 'cosine', ...(ctx.params.threshold !== undefined && { threshold: ctx.params.threshold }) } });
      const dim = set.dim;
      try {
        ctx.setTotal(totalEmbedded(project, set));
        const after = ctx.checkpoint?.lastItemId ?? 0;
        let done = embeddedCount(project, set, after);
        for (const page of embeddedPages(project, set, after)) {
          ctx.signal.throwIfAborted();
          const withText = page.filter((r) => r.textRow !== null);
          const iv = readRows(images, withText.map((r) => r.imageRow));
          const tv = readRows(texts, withText.map((r) => r.textRow!));
          const scores = withText.map((_, n) => dot(iv.subarray(n * dim, (n + 1) * dim), tv.subarray(n * dim, (n + 1) * dim)));
          done += page.length;
          ctx.commit(() => {
            const perModel = pairSignalOf(model);
            withText.forEach((r, n) => {
              signals.set(r.itemId, PAIR_SIGNAL, scores[n], runId);
              signals.set(r.itemId, perModel, scores[n], runId);
            });
          }, done, { lastItemId: page[page.length - 1].itemId });
        }
      } finally {
        images.close();
        texts.close();
      }
      project.runs.finish(runId);
      project.notifyItemsChanged(null, 0, false);
      return { model: ctx.params.model, scored: (project.db.prepare('SELECT count(*) FROM signals WHERE name = ?').pluck().get(PAIR_SIGNAL) as number) };
    },
  });
}

// Concept filters (`curate.concepts`): free text prompts ("a watermark", "a screenshot with text",
// "nsfw") scored against every image; signal `concept.<slug>` = cosine, so a rule such as
// "concept.a_watermark < 0.25" (or keepTop) filters on it like any other signal.
import { z } from 'zod';
import { defineJob } from '../jobs/define-job';
import type { Project } from '../project';
import type { ActiveModel } from '../vision/active-model';
import { embeddedCount, embeddedPages, readRows, requireSet, totalEmbedded } from './embedding-pages';
import { SignalStore } from './signals';
import { conceptSlug, cosines, embedTextsBatched } from './zero-shot';

export const CONCEPTS_JOB = 'curate.concepts';

export const ConceptParams = z.object({ model: z.string().min(1), prompts: z.array(z.string().min(1)).min(1) });
export type ConceptParams = z.output<typeof ConceptParams>;
const ConceptCheckpoint = z.object({ lastItemId: z.number().int() });
const ConceptResult = z.object({ model: z.string(), signals: z.array(z.string()) });

export const conceptSignal = (prompt: string): string => `concept.${conceptSlug(prompt)}`;

export function conceptsJob(project: Project, active: ActiveModel) {
  return defineJob({
    kind: CONCEPTS_JOB,
    writes: ['signals'],
    params: ConceptParams, checkpoint: ConceptCheckpoint, result: ConceptResult,
    title: (p) => `Concept scores (${p.prompts.join(', ').slice(0, 60)}) with ${p.model}`,
    async run(ctx) {
      const { id: model, model: clip, hash } = await active.get(ctx.params.model);
      const set = requireSet(project, model);
      const dim = set.dim;
      const prompts = ctx.params.prompts;
      const names = prompts.map(conceptSignal);
      const concepts = await embedTextsBatched((t) => clip.embedTexts(t), prompts, dim);
      const runId = project.runs.forJob(ctx.jobId, CONCEPTS_JOB, { model, modelHash: hash, params: { score: 'cosine', prompts: Object.fromEntries(names.map((n, c) => [n, prompts[c]])) } });
      const images = project.embeddings.matrix(set, 'image');
      const signals = new SignalStore(project.db);
      try {
        ctx.setTotal(totalEmbedded(project, set));
        const after = ctx.checkpoint?.lastItemId ?? 0;
        let done = embeddedCount(project, set, after);
        const cos = new Float32Array(prompts.length);
        for (const page of embeddedPages(project, set, after)) {
          ctx.signal.throwIfAborted();
          const vectors = readRows(images, page.map((r) => r.imageRow));
          const scores = page.map((_, n) => Array.from(cosines(vectors.subarray(n * dim, (n + 1) * dim), concepts, dim, cos)));
          done += page.length;
          ctx.commit(() => {
            page.forEach((r, n) => names.forEach((name, c) => signals.set(r.itemId, name, scores[n][c], runId)));
          }, done, { lastItemId: page[page.length - 1].itemId });
        }
      } finally {
        images.close();
      }
      project.runs.finish(runId);
      project.notifyItemsChanged(null, 0, false);
      return { model: ctx.params.model, signals: ctx.params.prompts.map(conceptSignal) };
    },
  });
}

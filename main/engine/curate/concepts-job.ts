// Concept filters (`curate.concepts`): free text prompts ("a watermark", "a screenshot with text",
// "nsfw") scored against every image; signal `concept.<slug>` = cosine, so a rule such as
// "concept.a_watermark < 0.25" (or keepTop) filters on it like any other signal.
import type { JobKind } from '../jobs/runner';
import type { Project } from '../project';
import type { ActiveModel } from '../vision/active-model';
import { embeddedCount, embeddedPages, readRows, requireSet, totalEmbedded } from './embedding-pages';
import { SignalStore } from './signals';
import { conceptSlug, cosines, embedTextsBatched } from './zero-shot';

export const CONCEPTS_JOB = 'curate.concepts';

export interface ConceptParams { model: string; prompts: string[] }
interface ConceptCheckpoint { lastItemId: number }

export const conceptSignal = (prompt: string): string => `concept.${conceptSlug(prompt)}`;

export function conceptsJob(project: Project, active: ActiveModel): JobKind<ConceptParams, ConceptCheckpoint> {
  return {
    kind: CONCEPTS_JOB,
    writes: ['signals'],
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
          if (ctx.signal.aborted) return;
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
    },
  };
}

// Similarity methods → engine: semantic dedup job, text / image search, embedding map.
import type { ItemT } from './contract';
import { ApiError } from './contract';
import type { Engine } from '../engine/engine';
import { requireSet } from '../engine/curate/embedding-pages';
import { mapPoints } from '../engine/curate/embedding-map';
import { itemVector } from '../engine/curate/search';
import { type PagedHits, regionPredicate, searchWithin } from '../engine/curate/search-within';
import { SEARCH_INDEX_JOB } from '../engine/curate/search-index-job';
import type { EmbeddingSet } from '../engine/store/embeddings';
import { andWhere, labelPredicate } from '../engine/curate/labels-query';
import type { Project } from '../engine/project';
import { selectionWhere } from './handlers-curation';
import type { SearchWithinT } from './methods/similarity';
import { SEMDEDUP_JOB } from '../engine/curate/semantic-index';
import { Calibration, requireModelFor } from '../engine/vision/task-models';
import type { HandlersFor } from './handlers';
import type { similarityMethods } from './methods/similarity';
import { tagPredicate } from '../engine/store/manual';

export function similarityHandlers(engine: Engine): HandlersFor<keyof typeof similarityMethods> {
  const project = () => engine.requireProject();
  const embedModel = (model: string | undefined) => requireModelFor(project(), 'embed', model);
  return {
    // The cosine threshold depends on the model: explicit, else the project's override, else the model's entry.
    'dedup.semantic.run': async ({ model, threshold, ...params }) => {
      const id = embedModel(model);
      const key = (params.verify ?? 'pixels') === 'pixels' ? 'semanticCandidate' : 'semanticCosine';
      const cal = await Calibration.load(engine.models, project(), id);
      const resolved = cal.require<number>(key, threshold);
      return { jobId: project().jobs.start(SEMDEDUP_JOB, { model: id, ...params, threshold: resolved, calibration: cal.provenance([key], { [key]: threshold }) }).id };
    },
    'search.text': async ({ query, model, ...paging }) => {
      const set = requireSet(project(), embedModel(model));
      const { vectors, dim } = await engine.active.embedTexts(set.model, [query]);
      if (dim !== set.dim) throw new ApiError('conflict', `${set.model} now gives ${dim}-d embeddings, the stored ones are ${set.dim}-d: re-embed`);
      const vector = vectors.subarray(0, dim);
      return withIndexJob(project(), set, searchWithin(project(), set, vector, pagingOf(project(), paging)));
    },
    'search.similar': ({ itemId, model, ...paging }) => {
      const p = project();
      const set = requireSet(p, embedModel(model));
      const vector = itemVector(p, set, itemId);
      if (!vector) throw new ApiError('not_found', `item ${itemId} has no image embedding for ${set.model}`);
      return withIndexJob(p, set, searchWithin(p, set, vector, { ...pagingOf(p, paging), excludeItem: itemId }));
    },
    'search.items': ({ ids }) => {
      const items = project().items;
      return ids.map((id) => items.get(id)).filter((i): i is ItemT => i !== undefined);
    },
    'map.get': ({ model, colorBy }) => {
      const p = project();
      return mapPoints(p, requireSet(p, embedModel(model)), colorBy);
    },
  };
}

/** The search options for searchWithin: the view's filters compiled to one SQL predicate. */
function pagingOf(project: Project, p: { k: number; offset: number; minScore?: number; within?: SearchWithinT; exact?: boolean }) {
  return { k: p.k, offset: p.offset, minScore: p.minScore, sourceId: p.within?.sourceId, where: withinWhere(project, p.within), mode: p.exact ? 'exact' as const : 'auto' as const };
}

/**
 * The API result; where an exact scan was slow and the graph index or the int8 copy is missing or stale, or the graph's recall unmeasured,
 * also starts (or finds) the job that builds or measures it (an index measured and failing the gate is left be), so later searches are fast. None while an embed job runs (its rows would make the new
 * index stale again), nor from a read-only process (another owns the project).
 */
function withIndexJob(project: Project, set: EmbeddingSet, found: PagedHits) {
  const { slowExact, unproven, ...result } = found;
  let indexJobId: number | undefined;
  const embedding = () => project.jobs.list().some((j) => j.kind === 'embed' && (j.state === 'running' || j.state === 'queued'));
  if (slowExact && unproven && !project.readOnly && !embedding()) indexJobId = project.jobs.start(SEARCH_INDEX_JOB, { model: set.model }).id;
  return { model: set.model, ...result, ...(indexJobId !== undefined && { indexJobId }) };
}

/** SQL over alias `i` for a view's selection, label, map region and tag (null: no filter): the grid's pages and counts and search inside a view use this one. */
export function withinWhere(project: Project, within: Omit<SearchWithinT, 'sourceId'> | undefined): string | null {
  if (!within) return null;
  return andWhere(selectionWhere(project, within.selection), within.label && labelPredicate(within.label), within.region && regionPredicate(within.region), within.tag && tagPredicate(within.tag));
}

// Detection + review methods → engine (main/engine/detect/, main/engine/review/).
import { calibratedThresholds, DETECT_JOB } from '../engine/detect/detect-job';
import type { Engine } from '../engine/engine';
import { Calibration, modelFor, requireModelFor } from '../engine/vision/task-models';
import type { Project } from '../engine/project';
import type { HistoryEntry } from '../engine/review/history';
import { ReviewService } from '../engine/review/review';
import { ApiError } from './contract';
import type { HandlersFor } from './handlers';
import type { detectionMethods } from './methods/detection';

const services = new WeakMap<Project, ReviewService>();

/**
 * The queue's default score floor: the project's labels model's `reviewMinScore` (its registry calibration block or
 * the project's override; none = no floor). The per-item queue table keeps its floored counts at this value.
 */
export async function reviewFloor(engine: Engine, project: Project): Promise<number> {
  const cal = await Calibration.load(engine.models, project, requireModelFor(project, 'labels'));
  const floor = cal.get<number>('reviewMinScore') ?? 0;
  reviewFor(project).setFloor(floor);
  return floor;
}

/** The project's one review service (one undo history, whichever method edits annotations). */
export function reviewFor(project: Project): ReviewService {
  let s = services.get(project);
  if (!s) services.set(project, (s = new ReviewService(project.db, (itemIds) => project.announce('annotations.changed', { jobId: null, itemIds }))));
  return s;
}

export function detectionHandlers(engine: Engine): HandlersFor<keyof typeof detectionMethods> {
  const review = () => reviewFor(engine.requireProject());
  const guard = <T>(f: () => T): T => {
    try {
      return f();
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError('bad_input', (error as Error).message);
    }
  };
  const edited = (annotations: ReturnType<ReviewService['forItem']>) => ({ annotations, canUndo: review().history.canUndo(), canRedo: review().history.canRedo() });
  const step = (entry: HistoryEntry | null) => {
    const r = review();
    const itemIds = entry ? [...new Set(entry.changes.map((c) => (c.after?.item_id ?? c.before?.item_id) as number | undefined).filter((v): v is number => typeof v === 'number'))] : [];
    // Partial snapshots carry no item id: look them up.
    if (entry && itemIds.length === 0) for (const c of entry.changes) { const a = r.get(c.id); if (a) itemIds.push(a.itemId); }
    return { action: entry?.action ?? null, itemIds: [...new Set(itemIds)], canUndo: r.history.canUndo(), canRedo: r.history.canRedo() };
  };
  return {
    'detect.run': async ({ queries, model, threshold, thresholds, minScores, maskThreshold, negatives, selection, segment, regionCache }) => {
      const project = engine.requireProject();
      const id = requireModelFor(project, segment ? 'segment' : 'detect', model);
      const cal = await Calibration.load(engine.models, project, id);
      const { threshold: t, maskThreshold: mask, calibration } = calibratedThresholds(cal, threshold, maskThreshold);
      const job = project.jobs.start(DETECT_JOB, { queries: [...new Set(queries)], model: id, threshold: t, thresholds, minScores, maskThreshold: mask, negatives, selection: selection ?? null, segment: segment ?? false, calibration, ...(regionCache && { regionCache }) });
      return { jobId: job.id };
    },
    'detect.counts': ({ jobId }) => engine.requireProject().annotations.countsForJob(jobId),
    'review.queue': async ({ filter, offset, limit }) => {
      const project = engine.requireProject();
      const r = reviewFor(project);
      const labels = project.annotations.reviewLabels();
      const f = { ...filter, minScore: filter?.minScore ?? await reviewFloor(engine, project) };
      return {
        items: r.queue(f, offset, limit), progress: r.progress(f), labels, canUndo: r.history.canUndo(), canRedo: r.history.canRedo(),
        classes: r.classes(), minScore: f.minScore, belowFloor: r.belowFloor(f),
      };
    },
    'review.item': ({ itemId }) => {
      const item = engine.requireProject().items.get(itemId);
      if (!item) throw new ApiError('not_found', `item ${itemId} not found`);
      return { itemId, width: item.width, height: item.height, annotations: review().forItem(itemId) };
    },
    'review.decide': ({ ids, state, user }) => guard(() => edited(review().decide(ids, state, user))),
    'review.relabel': ({ id, label, user }) => guard(() => edited([review().relabel(id, label, user)])),
    'review.setBox': ({ id, bbox, nudge, user }) => guard(() => edited([review().setBox(id, bbox, user, { nudge })])),
    'review.setMask': ({ id, rle, user }) => guard(() => edited([review().setMask(id, rle as never, user)])),
    'review.refine': async ({ id, points, model, user }) => {
      const a = review().get(id);
      if (!a) throw new ApiError('not_found', `annotation ${id} not found`);
      let mask;
      try {
        mask = await engine.sam.refine(engine.requireProject(), a.itemId, { box: a.bbox ?? undefined, points }, modelFor(engine.requireProject(), 'refine', model));
      } catch (error) {
        if (error instanceof ApiError) throw error;
        throw new ApiError('conflict', (error as Error).message);
      }
      return guard(() => edited([review().refineMask(id, mask.rle, mask.model, user)]));
    },
    'review.add': ({ itemId, label, bbox, kind, rle, user }) => guard(() => edited([review().add(itemId, { label, bbox, kind, rle: rle as never }, user)])),
    'review.delete': ({ id, user }) => guard(() => {
      review().delete(id, user);
      return edited([]);
    }),
    'review.acceptAbove': async ({ threshold, filter, user }) => {
      const f = { ...filter, minScore: filter?.minScore ?? await reviewFloor(engine, engine.requireProject()) };
      return guard(() => ({ count: review().acceptAbove(threshold, f, user), progress: review().progress(f) }));
    },
    'review.undo': () => step(review().undo()),
    'review.redo': () => step(review().redo()),
  };
}

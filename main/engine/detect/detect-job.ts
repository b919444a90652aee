// The detection job (`detect.run`): runs a detector over a selection's items and stores its boxes
// (or masks + boxes when `segment`) as 'proposed' annotations (origin = model id; params = the run,
// the threshold used, detector extras). Checkpoints per batch; a fresh run replaces the earlier
// run's unreviewed proposals for the same queries (reviewed ones stay).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveSelection, selectionCounts } from '../curate/selection';
import { z } from 'zod';
import { DetectSettings } from '../../domain/stage-settings';
import { defineJob } from '../jobs/define-job';
import { readItemBytes } from '../media/resolve';
import { cachedInput } from '../vision/input-cache';
import type { PreprocessSpec } from '../vision/preprocess-spec';
import { plainDecodeError } from '../media/decode-error';
import type { NewIssue } from '../store/issues';
import type { Project } from '../project';
import type { ActiveModel } from '../vision/active-model';
import type { ClipModel } from '../vision/clip-model';
import type { Calibration } from '../vision/task-models';
import { type Box, boxIou } from './geometry';
import { rleBbox } from '../../domain/rle';
import { adaptedRegionScore, passesCut, type RegionFit } from '../adapt/region-cache';
import { embedRegions } from '../adapt/region-embed';
import { regionTraining } from '../adapt/region-training';
import { DEFAULT_THRESHOLD, DenseClipDetector, type Detector, detectorKindOf, OnnxQueryDetector, type Proposal } from './detector';

export const DETECT_JOB = 'detect.run';

/**
 * An item the detector could not read or run on. Located at the item's key, so a detection run over the same items
 * again meets the recorded issue (issues_once) instead of adding another; the raw message is kept as the detail.
 */
function detectIssue(project: Project, itemId: number, kind: string, what: string, error: unknown): NewIssue {
  const item = project.items.get(itemId);
  const plain = plainDecodeError((error as Error).message ?? String(error));
  return { severity: 'warning', kind, message: `${what} ${item?.key ?? `item ${itemId}`}: ${plain.message}`, detail: plain.detail, itemId, sourceId: item?.sourceId ?? null, location: item?.key ?? `item ${itemId}` };
}

export const DetectParams = DetectSettings.extend({
  model: z.string().min(1).optional(),
  /** Adapt the scores to the reviewed proposals of these queries: a region cache over their crop embeddings, with a cross-validated cut (adapt/region-cache.ts). */
  regionCache: z.boolean().optional(),
  selection: z.string().nullable(),
  batch: z.number().int().positive().optional(),
  /** Where the thresholds came from (explicit, project, model): recorded with the run. */
  calibration: z.record(z.string(), z.string()).optional(),
});
export type DetectParams = z.output<typeof DetectParams>;

const DetectCheckpoint = z.object({ lastItemId: z.number().int() });
const RegionCacheSummary = z.object({
  examples: z.number().int(), alpha: z.number(), beta: z.number(), gamma: z.number(), mode: z.string(), folds: z.number().int(),
  rejectsPerAcceptBefore: z.number().nullable(), rejectsPerAcceptAfter: z.number().nullable(), acceptedKept: z.number(),
});
const DetectResult = z.object({ model: z.string(), items: z.number().int(), regionCache: RegionCacheSummary.nullable().optional() });

/** What a detection annotation's params hold. */
export interface DetectAnnotationParams {
  run: 'detect';
  job: number;
  detector: string;
  threshold: number;
  [extra: string]: unknown;
}

export async function loadDetector(active: ActiveModel, model: string | undefined): Promise<{ id: string; detector: Detector; owned: boolean; hash?: string }> {
  const dir = await active.resolveDir(model);
  return openDetector(dir, model ?? path.basename(dir), () => active.get(model));
}

/**
 * The detector a model folder declares: OWL-ViT / OWLv2 / CLIPSeg graphs of their own (owned: the caller disposes
 * them), else dense detection with the dual encoder `clip` loads (shared with embedding, not owned).
 */
export async function openDetector(dir: string, id: string, clip: () => Promise<{ id: string; model: ClipModel; hash?: string }>): Promise<{ id: string; detector: Detector; owned: boolean; hash?: string }> {
  const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as { model_type?: string };
  const kind = detectorKindOf(config, true);
  if (kind === 'owlvit' || kind === 'owlv2' || kind === 'clipseg') return { id, detector: await OnnxQueryDetector.load(dir, kind), owned: true };
  const loaded = await clip();
  return { id: loaded.id, detector: new DenseClipDetector(loaded.model), owned: false, hash: loaded.hash };
}

export function detectJob(project: Project, active: ActiveModel) {
  return defineJob({
    kind: DETECT_JOB,
    writes: ['annotations'],
    params: DetectParams, checkpoint: DetectCheckpoint, result: DetectResult,
    title: (p) => `Detect ${p.queries.join(', ')}${p.segment ? ' (+ masks)' : ''}`,
    async run(ctx) {
      const p = ctx.params;
      const { id: model, detector, owned, hash } = await loadDetector(active, p.model);
      const threshold = p.threshold ?? DEFAULT_THRESHOLD[detector.kind];
      // The graph file that ran (e.g. onnx/model_quantized.onnx) is part of what produced the proposals.
      const graph = detector instanceof OnnxQueryDetector ? { graph: detector.graph.file, dtype: detector.graph.dtype } : {};
      // The region cache is refitted from the reviews at every start (also on resume: the reviews are the state).
      const regionModel = p.regionCache ? (await active.get(detector.kind === 'dense-clip' ? p.model : undefined)).model : null;
      const regions = regionModel ? await regionTraining(project, regionModel, p.queries,
        (itemId, reason) => ctx.issue({ severity: 'warning', kind: 'detect', message: `region cache: item ${itemId} ${reason}`, itemId, jobId: ctx.jobId })) : null;
      const regionClip = regions && (regions.fit.cache.alpha > 0 || Object.keys(regions.fit.cuts).length) ? regionModel : null;
      const summary = regions && summaryOf(regions.fit, regions.examples);
      const runId = project.runs.forJob(ctx.jobId, DETECT_JOB, { model, modelHash: hash ?? null, params: { ...p, detector: detector.kind, threshold, ...graph, ...(summary && { regionCache: summary }) } });
      const batch = Math.max(1, p.batch ?? 16);
      try {
        ctx.setTotal(selectionCounts(project, p.selection).kept);
        let checkpoint = ctx.checkpoint;
        if (!checkpoint) {
          checkpoint = { lastItemId: 0 };
          ctx.commit(() => {
            const del = project.db.prepare(`DELETE FROM annotations WHERE kind IN ('box', 'mask') AND state = 'proposed' AND json_extract(params, '$.run') = 'detect' AND label = ?`);
            for (const q of p.queries) del.run(q);
          }, 0, checkpoint);
        }
        let done = 0;
        let ids: number[] = [];
        const flush = async () => {
          const images: { id: number; data: Buffer; file: string }[] = [];
          for (const id of ids) {
            try {
              const { data, file } = await readItemBytes(project, id);
              images.push({ id, data, file });
            } catch (error) {
              ctx.issue(detectIssue(project, id, 'detect_unreadable', 'cannot read', error));
            }
          }
          const results: Proposal[][] = [];
          const kept: number[] = [];
          for (const image of images) {
            ctx.signal.throwIfAborted();
            try {
              // The model-input cache the import-time pass (inputs-job.ts) or an embed run left stands in for decoding.
              const cache = (spec: PreprocessSpec) => cachedInput(project.thumbsDir, spec, image.id, image.file, image.data, true);
              results.push((await detector.detect([{ input: image.data, cache }], detectOptions(p, threshold)))[0]);
              kept.push(image.id);
            } catch (error) {
              ctx.issue(detectIssue(project, image.id, 'detect_failed', 'detection failed on', error));
            }
          }
          // Region cache: each proposal's crop embedded, its score adapted; those under the cut are not stored.
          const adapted: (Float64Array | null)[] = [];
          for (let k = 0; k < kept.length; k++) {
            if (!regionClip || !regions) { adapted.push(null); continue; }
            const emb = await embedRegions(regionClip, images.find((im) => im.id === kept[k])!.data, results[k].map(proposalBox));
            adapted.push(Float64Array.from(results[k], (d, i) => adaptedRegionScore(regions.fit.cache, d.label, emb.subarray(i * regionClip.dim, (i + 1) * regionClip.dim), d.score)));
          }
          done += ids.length;
          const last = ids[ids.length - 1];
          ids = [];
          const reviewed = project.db.prepare(`SELECT label, bbox, json_extract(params, '$.detector_box') detector_box FROM annotations WHERE item_id = ? AND kind IN ('box', 'mask') AND state != 'proposed' AND bbox IS NOT NULL`);
          ctx.commit(() => {
            kept.forEach((itemId, k) => {
              // A region a person already decided on (same label, IoU ≥ 0.5) is not proposed again.
              // A decided mask is matched by its tight box or by the detector box it was proposed with.
              const decided = (reviewed.all(itemId) as { label: string; bbox: string; detector_box: string | null }[]).flatMap((r) => [
                { label: r.label, box: JSON.parse(r.bbox) as Box }, ...(r.detector_box ? [{ label: r.label, box: JSON.parse(r.detector_box) as Box }] : []),
              ]);
              results[k].forEach((d, i) => {
                const regionScore = adapted[k]?.[i];
                const box = proposalBox(d);
                if (decided.some((r) => r.label === d.label && (boxIou(r.box, box) >= 0.5 || boxIou(r.box, d.box) >= 0.5))) return;
                if (!passesMinScore(p.minScores, d)) return;
                if (regionScore !== undefined && regions && !passesCut(regions.fit, d.label, regionScore)) return;
                const params: DetectAnnotationParams = {
                  run: 'detect', job: ctx.jobId, detector: detector.kind, threshold: p.thresholds?.[d.label] ?? threshold, ...d.extra, ...(box !== d.box && { detector_box: d.box }),
                  ...(regionScore !== undefined && { detectorScore: d.score }),
                };
                project.annotations.insert(itemId, {
                  kind: d.rle ? 'mask' : 'box', label: d.label, score: regionScore === undefined ? d.score : round(regionScore), bbox: box, rle: d.rle ?? null, origin: model,
                  params, state: 'proposed', createdBy: `job:${ctx.jobId}`, runId,
                });
              });
            });
          }, done, { lastItemId: last });
        };
        for (const id of resolveSelection(project, p.selection)) {
          ctx.signal.throwIfAborted();
          if (id <= checkpoint.lastItemId) {
            done++;
            continue;
          }
          ids.push(id);
          if (ids.length >= batch) await flush();
        }
        if (ids.length) await flush();
      } finally {
        if (owned) await detector.dispose?.();
      }
      project.runs.finish(runId);
      project.notifyItemsChanged(null, 0, false);
      return { model, items: selectionCounts(project, p.selection).kept, ...(p.regionCache && { regionCache: summary }) };
    },
  });
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;

/** A proposal's stored box: a segmentation's is its mask's tight box (the detector's own box is looser, or elsewhere). */
export const proposalBox = (d: Proposal): Box => (d.rle && rleBbox(d.rle)) || d.box;

/** The score and mask thresholds a detection runs with: explicit, else the model's calibration (mask: threshold + maskMargin). */
export function calibratedThresholds(cal: Calibration, threshold?: number, maskThreshold?: number) {
  const t = cal.get<number>('detectThreshold', threshold);
  const margin = cal.get<number>('maskMargin');
  const mask = maskThreshold ?? (t !== undefined && margin !== undefined ? Math.min(0.95, t + margin) : undefined);
  return { threshold: t, maskThreshold: mask, calibration: cal.provenance(['detectThreshold', 'maskMargin'], { detectThreshold: threshold, maskMargin: maskThreshold }) };
}

/** Per-class minimum proposal score (learnt from reviewed boxes): lower proposals are not stored. */
export const passesMinScore = (minScores: Record<string, number> | undefined, d: Proposal): boolean => d.score >= (minScores?.[d.label] ?? -Infinity);

/** The detector options of a run's parameters. */
export const detectOptions = (p: Pick<DetectParams, 'queries' | 'thresholds' | 'maskThreshold' | 'negatives' | 'segment'>, threshold: number) => (
  { queries: p.queries, threshold, thresholds: p.thresholds, maskThreshold: p.maskThreshold, negatives: p.negatives, segment: p.segment }
);

function summaryOf(fit: RegionFit, examples: number): z.output<typeof RegionCacheSummary> {
  return {
    examples, alpha: fit.cache.alpha, beta: fit.cache.beta, gamma: fit.cache.gamma, mode: fit.mode, folds: fit.folds,
    rejectsPerAcceptBefore: fit.rejectsPerAccept.before, rejectsPerAcceptAfter: fit.rejectsPerAccept.adapted, acceptedKept: fit.recall.adapted,
  };
}

// What a shard's stages need before the first item, loaded once per process and reused for every shard of a
// plan (the worker keeps it like the embedding model): class and concept text embeddings, the label model when
// it is not the embedding model, the detector. The per-item maths is the project jobs' own (runStages).
import { stringify } from 'safe-stable-stringify';
import type { PlanStagesT } from '../../../domain/scale';
import { conceptSignal } from '../../curate/concepts-job';
import { LABEL_SIGNAL } from '../../curate/label-job';
import { PIXEL_SIGNALS } from '../../curate/stats-job';
import { classEmbeddings, embedTextsBatched } from '../../curate/zero-shot';
import { DEFAULT_THRESHOLD, type Detector } from '../../detect/detector';
import { openDetector } from '../../detect/detect-job';
import { PreprocessPool } from '../../vision/preprocess-pool';
import type { ClipModel } from '../../vision/clip-model';
import { SHARD_SIGNALS } from '../item-table';
import { loadShardModel, shardModelDir, type ShardModel } from '../shard-model';

export interface LabelStage {
  plan: NonNullable<PlanStagesT['labels']>;
  /** The model whose image vectors are scored: the embedding model, or its own (with its own decode pool). */
  clip: ClipModel;
  pool: PreprocessPool | null;
  classes: Float32Array;
  scale: number;
  /** Multi-label: t_c per class, in class order. */
  tc?: number[];
}

export interface ShardStages {
  /** The stage settings these were prepared for (a worker compares it with the next plan's). */
  key: string;
  stats: boolean;
  labels?: LabelStage;
  concepts?: { names: string[]; matrix: Float32Array };
  detect?: { plan: NonNullable<PlanStagesT['detect']>; id: string; detector: Detector; threshold: number };
  /** Every signal column a shard writes with these stages. */
  signals: string[];
  dispose(): Promise<void>;
}

/** Key order does not matter: a plan parsed from JSON and one built in code name the same stages. */
export const stagesKey = (model: string, stages: PlanStagesT): string => stringify({ model, stages })!;

export async function prepareStages(model: string, stages: PlanStagesT, embed: ShardModel): Promise<ShardStages> {
  const owned: Array<() => Promise<void>> = [];
  const dispose = async () => { await Promise.all(owned.map((d) => d())); };
  try {
    // Another dual encoder than the plan's (labels or dense detection with another model) is loaded once for both.
    const others = new Map<string, Promise<ShardModel>>();
    const clipFor = (id: string): Promise<ShardModel> => {
      if (id === embed.id) return Promise.resolve(embed);
      if (!others.has(id)) {
        const loading = loadShardModel(id);
        others.set(id, loading);
        owned.push(async () => (await loading).model.dispose());
      }
      return others.get(id)!;
    };
    const signals: string[] = [...SHARD_SIGNALS];
    let labels: LabelStage | undefined;
    if (stages.labels) {
      const p = stages.labels;
      const { model: clip } = await clipFor(p.model);
      const pool = clip === embed.model ? null : new PreprocessPool(clip.preprocess);
      if (pool) owned.push(() => pool.close());
      labels = {
        plan: p, clip, pool, classes: await classEmbeddings((t) => clip.embedTexts(t), clip.dim, p.classes, p.templates),
        scale: p.logitScale ?? clip.logitScale, ...(p.multiLabel && { tc: p.classes.map((c) => p.thresholds![c.name]) }),
      };
      signals.push(...Object.values(LABEL_SIGNAL));
    }
    let concepts: ShardStages['concepts'];
    if (stages.concepts) {
      const prompts = [...new Set(stages.concepts.prompts)];
      concepts = { names: prompts.map(conceptSignal), matrix: await embedTextsBatched((t) => embed.model.embedTexts(t), prompts, embed.model.dim) };
      signals.push(...concepts.names);
    }
    let detect: ShardStages['detect'];
    if (stages.detect) {
      const p = stages.detect;
      const opened = await openDetector(await shardModelDir(p.model), p.model, () => clipFor(p.model));
      if (opened.owned) owned.push(async () => { await opened.detector.dispose?.(); });
      detect = { plan: p, id: p.model, detector: opened.detector, threshold: p.threshold ?? DEFAULT_THRESHOLD[opened.detector.kind] };
    }
    if (stages.stats) signals.push(...Object.values(PIXEL_SIGNALS));
    return { key: stagesKey(model, stages), stats: !!stages.stats, labels, concepts, detect, signals: [...new Set(signals)], dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

// Generated benchmark data for adaptation: scenes from main/synthetic with ground truth, embedded by
// the built-in model, plus the zero-shot text classifier over the 64 colour-shape classes.
import path from 'node:path';
import { APP_ROOT } from '../../main/engine/paths';
import { ClipModel } from '../../main/engine/vision/clip-model';
import { embedImageFiles } from '../../main/engine/vision/embed-files';
import { classEmbeddings, DEFAULT_TEMPLATES } from '../../main/engine/curate/zero-shot';
import { type Classifier, zeroShotClassifier } from '../../main/engine/adapt/classifier';
import { generateScenes, loadVocabulary, type GenerateScenesOptions, type GeneratedScene } from '../../main/synthetic/index';

export interface Setting {
  name: string;
  about: string;
  options: Omit<GenerateScenesOptions, 'seed'>;
  /** Keeps only scenes passing this (e.g. the harder backgrounds). */
  keep?: (s: GeneratedScene) => boolean;
  /** The true class of a scene (default: its first object's colour + shape). */
  truth?: (s: GeneratedScene) => string;
  classes?: 'color-shape' | 'shape';
}

export interface EmbeddedSet { x: Float32Array; y: Int32Array; n: number }

export const MODEL_DIR = path.join(APP_ROOT, 'models', 'winnow-clip-mini');

/** The class list of a setting: colour + shape (64 classes, the default) or shape alone (8). */
export function classNames(setting?: Setting): string[] {
  const vocab = loadVocabulary();
  if (setting?.classes === 'shape') return Object.keys(vocab.shapes);
  return Object.keys(vocab.colors).flatMap((c) => Object.keys(vocab.shapes).map((s) => `${c} ${s}`));
}

export async function textClassifier(model: ClipModel, classes: string[]): Promise<Classifier> {
  const text = await classEmbeddings((t) => model.embedTexts(t), model.dim, classes.map((name) => ({ name })), DEFAULT_TEMPLATES);
  return zeroShotClassifier(text, model.dim, model.logitScale);
}

/** n scenes of a setting (generating more when `keep` filters some out). */
export async function keptScenes(setting: Setting, n: number, seed: string): Promise<GeneratedScene[]> {
  const kept: GeneratedScene[] = [];
  let batch = 0;
  while (kept.length < n) {
    const scenes = await generateScenes(Math.max(64, n), { ...setting.options, seed: `${seed}-${setting.name}-${batch++}` });
    for (const s of scenes) if (kept.length < n && (!setting.keep || setting.keep(s))) kept.push(s);
  }
  return kept;
}

/** Class index of each scene under a setting's truth. */
export function truthIndexes(setting: Setting, scenes: GeneratedScene[], classes: string[]): Int32Array {
  const truth = setting.truth ?? ((s: GeneratedScene) => `${s.objects[0].color} ${s.objects[0].shape}`);
  return Int32Array.from(scenes, (s) => classes.indexOf(truth(s)));
}

/** n scenes of a setting, embedded, with class indexes. */
export async function embeddedScenes(model: ClipModel, setting: Setting, n: number, seed: string, classes: string[]): Promise<EmbeddedSet> {
  const kept = await keptScenes(setting, n, seed);
  const x = new Float32Array(n * model.dim);
  for await (const b of embedImageFiles(model, kept.map((s) => new Uint8Array(s.jpeg)), { batchSize: 64 })) {
    if (b.errors.length) throw new Error(`unreadable generated image: ${b.errors[0].reason}`);
    b.indexes.forEach((index, row) => x.set(b.embeddings.subarray(row * model.dim, (row + 1) * model.dim), index * model.dim));
  }
  return { x, y: truthIndexes(setting, kept, classes), n };
}

const HARD_BACKGROUNDS = new Set(['noise', 'stripes', 'checker']);
const largest = (s: GeneratedScene) => s.objects.reduce((a, b) => (b.area > a.area ? b : a));

export const SETTINGS: Setting[] = [
  { name: 'seen', about: 'one object, seen colour-shape combinations', options: { width: 96, height: 96, singleObject: true, heldOut: 'exclude' } },
  { name: 'held-out', about: 'one object, held-out combinations only', options: { width: 96, height: 96, singleObject: true, heldOut: 'only' } },
  {
    name: 'hard', about: 'one small object, held-out combinations included, textured backgrounds (noise / stripes / checker)',
    options: { width: 96, height: 96, objects: [{ size: 'small' }], heldOut: 'include' }, keep: (s) => HARD_BACKGROUNDS.has(s.spec.background.kind),
  },
  {
    name: 'two-objects', about: 'a large and a small object on textured backgrounds; the class is the large one',
    options: { width: 96, height: 96, objects: [{ size: 'large' }, { size: 'small' }] }, keep: (s) => HARD_BACKGROUNDS.has(s.spec.background.kind),
    truth: (s) => `${largest(s).color} ${largest(s).shape}`,
  },
  {
    name: 'two-objects-shape', about: 'a large and a small object on textured backgrounds; the class is the large one\'s shape (8 classes)', classes: 'shape',
    options: { width: 96, height: 96, objects: [{ size: 'large' }, { size: 'small' }] }, keep: (s) => HARD_BACKGROUNDS.has(s.spec.background.kind),
    truth: (s) => largest(s).shape,
  },
  {
    name: 'cluttered', about: 'three objects (one medium, two small) on textured backgrounds; the class is the medium one',
    options: { width: 96, height: 96, objects: [{ size: 'medium' }, { size: 'small' }, { size: 'small' }] }, keep: (s) => HARD_BACKGROUNDS.has(s.spec.background.kind),
    truth: (s) => `${largest(s).color} ${largest(s).shape}`,
  },
];

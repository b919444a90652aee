import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ClipModel } from './clip-model';
import { DTYPE_SUFFIXES, availableDtypes, type ModelDtype } from './model-folder';
import type { ModelTask } from './model-registry';
import { createSessionWithFallback } from './providers';
import type { TensorInfo } from './session';
import { CARD_FILE, readHeadFolder } from '../adapt/distill';
import { OnnxHead } from '../adapt/onnx-head';
import type { HeadSummaryT } from '../../domain/model-report';

/** What an installed folder holds: a model of a registry task, a distilled classification head (winnow-head.json), or neither. */
export type FolderTask = ModelTask | 'classification-head' | 'unknown';

export interface GraphReport {
  file: string;
  provider: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export interface ValidationReport {
  ok: boolean;
  folder: string;
  task: FolderTask;
  dtype?: string;
  problems: string[];
  graphs: GraphReport[];
  /** For dual encoders: what a smoke inference produced. */
  clip?: { dim: number; logitScale: number; imageSize: [number, number]; sequenceLength: number; dtypes: ModelDtype[] };
  /** For a distilled classification head: its card. */
  head?: HeadSummaryT;
}

/** A distilled head folder: its card parses, and head.onnx loads and maps card.dim inputs to one probability per card class. */
async function validateHead(folder: string): Promise<ValidationReport> {
  const report: ValidationReport = { ok: false, folder, task: 'classification-head', problems: [], graphs: [] };
  try {
    const { card, onnx } = readHeadFolder(folder);
    report.head = { embeddingModel: card.embeddingModel, dim: card.dim, classes: card.classes, method: card.method, trainingSize: card.trainingSize, accuracy: card.accuracy, zeroShotAccuracy: card.zeroShotAccuracy };
    const head = await OnnxHead.load(onnx);
    try {
      if (head.dim !== card.dim) report.problems.push(`head.onnx reads ${head.dim}-d embeddings, the card says ${card.dim}`);
      if (head.classes !== card.classes.length) report.problems.push(`head.onnx gives ${head.classes} classes, the card names ${card.classes.length}`);
      const probs = await head.probs(new Float32Array(head.dim).fill(1 / Math.sqrt(head.dim)));
      const sum = probs.reduce((a, b) => a + b, 0);
      if (!(Math.abs(sum - 1) < 1e-3)) report.problems.push(`head.onnx probabilities sum to ${sum}, not 1`);
    } finally {
      await head.dispose();
    }
  } catch (error) {
    report.problems.push((error as Error).message);
  }
  report.ok = report.problems.length === 0;
  return report;
}

const REQUIRED_FILES: Record<ModelTask, string[]> = {
  clip: ['config.json', 'preprocessor_config.json', 'tokenizer.json'],
  'zero-shot-object-detection': ['config.json', 'preprocessor_config.json', 'tokenizer.json'],
  'image-segmentation': ['config.json', 'preprocessor_config.json', 'tokenizer.json'],
  'mask-generation': ['config.json', 'preprocessor_config.json'],
};

const TASK_BY_MODEL_TYPE: Record<string, ModelTask> = {
  owlvit: 'zero-shot-object-detection',
  owlv2: 'zero-shot-object-detection',
  clipseg: 'image-segmentation',
  sam: 'mask-generation',
};

async function detectTask(folder: string): Promise<ModelTask | 'unknown'> {
  const config = await readFile(path.join(folder, 'config.json'), 'utf8').then((text) => JSON.parse(text) as { model_type?: string }, () => undefined);
  const byType = config?.model_type ? TASK_BY_MODEL_TYPE[config.model_type] : undefined;
  if (byType) return byType;
  const vision = await availableDtypes(folder, 'vision_model');
  const text = await availableDtypes(folder, 'text_model');
  return vision.length > 0 && text.length > 0 ? 'clip' : 'unknown';
}

/** Graph files of one dtype: `<name><suffix>.onnx` where no longer suffix claims the name. */
async function graphsOfDtype(folder: string, dtype: string): Promise<string[]> {
  const names = await readdir(path.join(folder, 'onnx')).catch(() => [] as string[]);
  const suffixes = Object.values(DTYPE_SUFFIXES).filter(Boolean);
  const wanted = DTYPE_SUFFIXES[dtype as ModelDtype] ?? `_${dtype}`;
  return names.filter((name) => {
    if (!name.endsWith('.onnx')) return false;
    const stem = name.slice(0, -'.onnx'.length);
    if (wanted) return stem.endsWith(wanted);
    return !suffixes.some((suffix) => stem.endsWith(suffix));
  });
}

function allFinite(values: Float32Array): boolean {
  return values.every(Number.isFinite);
}

async function validateClip(folder: string, dtype: ModelDtype | undefined, report: ValidationReport): Promise<void> {
  const model = await ClipModel.load(folder, { provider: 'cpu', dtype, threads: 1 });
  try {
    report.dtype = model.folder.dtype;
    for (const [graph, session] of [['vision', model.provider.vision], ['text', model.provider.text]] as const) {
      const file = graph === 'vision' ? model.folder.visionModelPath : model.folder.textModelPath;
      report.graphs.push({ file: path.relative(folder, file), provider: session.provider, ...model.describeGraph(graph) });
    }
    // A blank image and a short caption exercise the whole I/O path: names, shapes, dtypes, outputs.
    const image = await model.embedImages(new Float32Array(model.imageTensorLength), 1);
    const text = await model.embedTexts(['a photo']);
    if (image.embeddings.length !== model.dim || !allFinite(image.embeddings)) report.problems.push('vision graph produced no finite embedding');
    if (text.length !== model.dim || !allFinite(text)) report.problems.push('text graph produced no finite embedding');
    report.clip = {
      dim: model.dim,
      logitScale: model.logitScale,
      imageSize: [model.preprocess.height, model.preprocess.width],
      sequenceLength: model.tokenizer.maxLength,
      dtypes: await availableDtypes(folder, 'vision_model'),
    };
  } finally {
    await model.dispose();
  }
}

async function validateGraphs(folder: string, dtype: string, report: ValidationReport): Promise<void> {
  const graphs = await graphsOfDtype(folder, dtype);
  report.dtype = dtype;
  if (graphs.length === 0) report.problems.push(`no ${dtype} graphs in ${path.join(folder, 'onnx')}`);
  for (const name of graphs) {
    const { session } = await createSessionWithFallback(path.join(folder, 'onnx', name), { provider: 'cpu', threads: 1 });
    report.graphs.push({ file: `onnx/${name}`, provider: session.provider, inputs: session.inputs, outputs: session.outputs });
    await session.dispose();
  }
}

/**
 * Checks that a folder is a usable model: required files present, every graph of the dtype loads,
 * and (for dual encoders) one inference yields finite embeddings. Problems are collected, not thrown.
 */
export async function validateModelFolder(folder: string, options: { task?: ModelTask; dtype?: string } = {}): Promise<ValidationReport> {
  if (!options.task && (await stat(path.join(folder, CARD_FILE)).then((s) => s.isFile(), () => false))) return validateHead(folder);
  const task = options.task ?? (await detectTask(folder));
  const report: ValidationReport = { ok: false, folder, task, problems: [], graphs: [] };
  if (!(await stat(folder).then((s) => s.isDirectory(), () => false))) {
    report.problems.push(`${folder} is not a folder`);
    return report;
  }
  if (task === 'unknown') {
    report.problems.push('not a recognised model layout (expected onnx/vision_model*.onnx and onnx/text_model*.onnx)');
    return report;
  }
  for (const file of REQUIRED_FILES[task]) {
    if (!(await stat(path.join(folder, file)).then((s) => s.isFile(), () => false))) report.problems.push(`missing ${file}`);
  }
  if (report.problems.length > 0) return report;
  try {
    if (task === 'clip') await validateClip(folder, options.dtype as ModelDtype | undefined, report);
    else await validateGraphs(folder, options.dtype ?? 'fp32', report);
  } catch (error) {
    report.problems.push((error as Error).message);
  }
  report.ok = report.problems.length === 0;
  return report;
}

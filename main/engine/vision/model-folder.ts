import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import {
  modelConfigSchema,
  preprocessorConfigSchema,
  tokenizerConfigSchema,
  tokenizerJsonSchema,
  type ModelConfig,
  type PreprocessorConfig,
  type TokenizerConfig,
} from './model-config';

/** Suffixes Transformers.js uses for precision variants of one ONNX graph (`vision_model_fp16.onnx`). */
export const DTYPE_SUFFIXES = {
  fp32: '',
  fp16: '_fp16',
  quantized: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q8: '_quantized',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
} as const;
export type ModelDtype = keyof typeof DTYPE_SUFFIXES;

export class ModelFolderError extends Error {
  override name = 'ModelFolderError';
}

export interface ClipModelFolder {
  dir: string;
  dtype: ModelDtype;
  visionModelPath: string;
  textModelPath: string;
  config: ModelConfig;
  preprocessorConfig: PreprocessorConfig;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: TokenizerConfig;
}

export function onnxFileName(graph: string, dtype: ModelDtype): string {
  return `${graph}${DTYPE_SUFFIXES[dtype]}.onnx`;
}

/** Lists which dtypes of `graph` exist in `<dir>/onnx`, e.g. `['fp32', 'quantized']`. */
export async function availableDtypes(dir: string, graph: string): Promise<ModelDtype[]> {
  let names: string[];
  try {
    names = await readdir(path.join(dir, 'onnx'));
  } catch {
    return [];
  }
  const present = new Set(names);
  return (Object.keys(DTYPE_SUFFIXES) as ModelDtype[]).filter(
    (dtype) => dtype !== 'q8' && present.has(onnxFileName(graph, dtype)),
  );
}

/**
 * Finds `onnx/<graph><suffix>.onnx`. Without an explicit dtype, fp32 is preferred (exact), then the
 * smaller variants in the order Transformers.js falls back to.
 */
export async function resolveOnnxGraph(dir: string, graph: string, dtype?: ModelDtype): Promise<{ path: string; dtype: ModelDtype }> {
  const available = await availableDtypes(dir, graph);
  if (dtype) {
    if (!available.includes(dtype) && !(dtype === 'q8' && available.includes('quantized'))) {
      throw new ModelFolderError(
        `${path.join(dir, 'onnx', onnxFileName(graph, dtype))} not found; ${graph} dtypes present: ${available.join(', ') || 'none'}`,
      );
    }
    return { path: path.join(dir, 'onnx', onnxFileName(graph, dtype)), dtype };
  }
  const chosen = available[0];
  if (!chosen) throw new ModelFolderError(`no ${graph}*.onnx in ${path.join(dir, 'onnx')}`);
  return { path: path.join(dir, 'onnx', onnxFileName(graph, chosen)), dtype: chosen };
}

export async function readJsonFile<S extends z.ZodType>(file: string, schema: S): Promise<z.infer<S>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ModelFolderError(`missing ${path.basename(file)} in ${path.dirname(file)} (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelFolderError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new ModelFolderError(`${file} is invalid: ${details}`);
  }
  return parsed.data;
}

async function optionalJson<S extends z.ZodType>(file: string, schema: S, fallback: z.infer<S>): Promise<z.infer<S>> {
  const exists = await stat(file).then(() => true, () => false);
  return exists ? readJsonFile(file, schema) : fallback;
}

/** Like Promise.all, but when several fail the error reported is the first in list order, not the first to settle. */
async function firstErrorInOrder<T extends readonly unknown[]>(promises: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/** Loads a CLIP-style dual encoder folder (config, preprocessor, tokenizer, vision + text graphs). */
export async function loadClipModelFolder(dir: string, dtype?: ModelDtype): Promise<ClipModelFolder> {
  const folderStat = await stat(dir).catch(() => undefined);
  if (!folderStat?.isDirectory()) throw new ModelFolderError(`model folder ${dir} does not exist`);
  const [config, preprocessorConfig, tokenizerJson, tokenizerConfig] = await firstErrorInOrder([
    readJsonFile(path.join(dir, 'config.json'), modelConfigSchema),
    readJsonFile(path.join(dir, 'preprocessor_config.json'), preprocessorConfigSchema),
    readJsonFile(path.join(dir, 'tokenizer.json'), tokenizerJsonSchema),
    // tokenizer_config.json is optional in the wild: tokenizer.json alone fully defines the vocabulary.
    optionalJson(path.join(dir, 'tokenizer_config.json'), tokenizerConfigSchema, {}),
  ] as const);
  const vision = await resolveOnnxGraph(dir, 'vision_model', dtype);
  // The text graph follows the vision graph's dtype so one choice means one precision.
  const text = await resolveOnnxGraph(dir, 'text_model', vision.dtype);
  return {
    dir,
    dtype: vision.dtype,
    visionModelPath: vision.path,
    textModelPath: text.path,
    config,
    preprocessorConfig,
    tokenizerJson,
    tokenizerConfig,
  };
}

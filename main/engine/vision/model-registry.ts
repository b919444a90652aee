import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CalibrationBlock } from '../../domain/calibration';
import { readJsonFile } from './model-folder';

const registryFileSchema = z.object({
  path: z.string().min(1).refine((file) => !file.split('/').includes('..') && !file.startsWith('/'), 'must stay inside the model folder'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  approxBytes: z.number().int().nonnegative().optional(),
});

const modelTaskSchema = z.enum(['clip', 'zero-shot-object-detection', 'image-segmentation', 'mask-generation']);
export type ModelTask = z.infer<typeof modelTaskSchema>;

/**
 * How to tell that a project's images are outside what the model knows: the median top-1 zero-shot
 * probability over the model's own classes, on a sample of embedded items, must reach `minMedianTop1`.
 * Only models with a closed, known domain carry one (the built-in model); `measured` says where the number comes from.
 */
const fitSchema = z.object({
  classes: z.array(z.string().min(1)).min(2),
  minMedianTop1: z.number().gt(0).lt(1),
  domain: z.string(),
  measured: z.string(),
});
export type ModelFitReference = z.infer<typeof fitSchema>;

const commonFields = {
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
  name: z.string(),
  task: modelTaskSchema,
  licence: z.string(),
  description: z.string().optional(),
  fit: fitSchema.optional(),
  /** Defaults that depend on this model (thresholds, templates, logit scale), each with its source. */
  calibration: CalibrationBlock.optional(),
};

const builtinEntrySchema = z.object({ ...commonFields, builtin: z.literal(true), folder: z.string() });

const hubEntrySchema = z.object({
  ...commonFields,
  builtin: z.literal(false).optional(),
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
  revision: z.string().min(1),
  defaultDtype: z.string(),
  // `common` files are needed by every dtype; other keys are dtype names (fp32, fp16, quantized, ...).
  files: z.record(z.string(), z.array(registryFileSchema)).refine((files) => 'common' in files, 'needs a common file list'),
});

export const registrySchema = z.object({
  schemaVersion: z.literal(1),
  notes: z.string().optional(),
  models: z.array(z.union([builtinEntrySchema, hubEntrySchema])),
});

export type RegistryFile = z.infer<typeof registryFileSchema>;
export type BuiltinRegistryEntry = z.infer<typeof builtinEntrySchema>;
export type HubRegistryEntry = z.infer<typeof hubEntrySchema>;
export type RegistryEntry = BuiltinRegistryEntry | HubRegistryEntry;
export type Registry = z.infer<typeof registrySchema>;

/** The repository's models/ folder, found relative to this file so it works from any cwd. */
export const REPO_MODELS_DIR = fileURLToPath(new URL('../../../models/', import.meta.url));
export const DEFAULT_REGISTRY_PATH = `${REPO_MODELS_DIR}registry.json`;

export async function loadRegistry(file = DEFAULT_REGISTRY_PATH): Promise<Registry> {
  const registry = await readJsonFile(file, registrySchema);
  const ids = new Set<string>();
  for (const entry of registry.models) {
    if (ids.has(entry.id)) throw new Error(`${file}: model id ${entry.id} appears twice`);
    ids.add(entry.id);
  }
  return registry;
}

export function isBuiltin(entry: RegistryEntry): entry is BuiltinRegistryEntry {
  return entry.builtin === true;
}

export function dtypesOf(entry: HubRegistryEntry): string[] {
  return Object.keys(entry.files).filter((key) => key !== 'common');
}

/** Every file a pull of `dtype` fetches: the shared ones plus that dtype's graphs. */
export function filesFor(entry: HubRegistryEntry, dtype: string): RegistryFile[] {
  const graphs = entry.files[dtype];
  if (!graphs || dtype === 'common') {
    throw new Error(`${entry.id} has no dtype '${dtype}'; available: ${dtypesOf(entry).join(', ')}`);
  }
  return [...entry.files.common, ...graphs];
}

import { z } from 'zod';

// Configs are validated loosely: real exports carry many keys we do not read, and we must not
// reject a valid model because it has extra fields. Only what the engine relies on is checked.

const sizeSchema = z.union([
  z.number().int().positive(),
  z.looseObject({ shortest_edge: z.number().int().positive() }),
  z.looseObject({ height: z.number().int().positive(), width: z.number().int().positive() }),
  // SAM: the longer side is resized to this, then padded (main/engine/detect/sam.ts).
  z.looseObject({ longest_edge: z.number().int().positive() }),
]);

export const preprocessorConfigSchema = z.looseObject({
  /** The Hugging Face processor class; picks the preprocessing family the way Transformers.js's auto classes do. */
  image_processor_type: z.string().optional(),
  do_pad: z.boolean().optional(),
  do_resize: z.boolean().optional(),
  size: sizeSchema.optional(),
  do_center_crop: z.boolean().optional(),
  crop_size: sizeSchema.optional(),
  resample: z.number().int().min(0).max(5).optional(),
  do_rescale: z.boolean().optional(),
  rescale_factor: z.number().positive().optional(),
  do_normalize: z.boolean().optional(),
  image_mean: z.union([z.array(z.number()).length(3), z.number()]).optional(),
  image_std: z.union([z.array(z.number().positive()).length(3), z.number().positive()]).optional(),
  do_convert_rgb: z.boolean().optional(),
});
export type PreprocessorConfig = z.infer<typeof preprocessorConfigSchema>;

export const winnowModelExtrasSchema = z.looseObject({
  logit_scale: z.number().positive(),
  patch_grid: z.union([z.number().int().positive(), z.array(z.number().int().positive()).length(2)]).optional(),
  patch_output: z.string().min(1).optional(),
  image_output: z.string().min(1).optional(),
  text_output: z.string().min(1).optional(),
});

export const modelConfigSchema = z.looseObject({
  model_type: z.string().optional(),
  projection_dim: z.number().int().positive().optional(),
  text_config: z.looseObject({ max_position_embeddings: z.number().int().positive().optional() }).optional(),
  winnow: winnowModelExtrasSchema.optional(),
});
export type ModelConfig = z.infer<typeof modelConfigSchema>;

const tokenSpecSchema = z.union([z.string(), z.looseObject({ content: z.string() }), z.null()]);

export const tokenizerConfigSchema = z.looseObject({
  model_max_length: z.number().positive().optional(),
  pad_token: tokenSpecSchema.optional(),
  eos_token: tokenSpecSchema.optional(),
  bos_token: tokenSpecSchema.optional(),
  unk_token: tokenSpecSchema.optional(),
  do_lower_case: z.boolean().optional(),
  tokenizer_class: z.string().optional(),
});
export type TokenizerConfig = z.infer<typeof tokenizerConfigSchema>;

export const tokenizerJsonSchema = z.looseObject({
  model: z.looseObject({ type: z.string() }),
  added_tokens: z.array(z.looseObject({ id: z.number().int(), content: z.string() })).optional(),
});

export function tokenContent(spec: z.infer<typeof tokenSpecSchema> | undefined): string | undefined {
  if (spec == null) return undefined;
  return typeof spec === 'string' ? spec : spec.content;
}

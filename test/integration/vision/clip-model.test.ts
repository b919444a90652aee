import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipModel } from '../../../main/engine/vision/clip-model';
import { preprocessImage } from '../../../main/engine/vision/preprocess';
import { createSessionWithFallback } from '../../../main/engine/vision/providers';
import { BUILTIN_MODEL_DIR, REFERENCE_DIR, loadReference, maxAbsDiff, normalized, readF32, type Reference } from '../../fixtures/vision/builtin-model';

describe('ClipModel on the built-in winnow-clip-mini (reference.json)', () => {
  let model: ClipModel;
  let reference: Reference;

  beforeAll(async () => {
    reference = await loadReference();
    model = await ClipModel.load(BUILTIN_MODEL_DIR, { threads: 1 });
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it('reads dim, logit scale, sequence length and I/O names from the folder and sessions', () => {
    expect(model.dim).toBe(128);
    // The trained temperature the config records (not logit_scale_init_value, the starting one).
    const config = JSON.parse(readFileSync(path.join(BUILTIN_MODEL_DIR, 'config.json'), 'utf8')) as { winnow: { logit_scale: number } };
    expect(model.logitScale).toBeCloseTo(config.winnow.logit_scale, 5);
    expect(model.logitScale).toBeGreaterThan(1);
    expect(model.patchGrid).toEqual([8, 8]);
    expect(model.tokenizer.maxLength).toBe(reference.max_length);
    expect([model.preprocess.height, model.preprocess.width]).toEqual([64, 64]);
    expect(model.describeGraph('vision').outputs.map((output) => output.name)).toEqual(expect.arrayContaining(['image_embeds', 'patch_embeds']));
  });

  it('reports the provider that runs and every provider it tried', () => {
    for (const report of [model.provider.vision, model.provider.text]) {
      expect(report.provider).toBe('cpu');
      expect(report.attempts.at(-1)).toEqual({ provider: 'cpu', ok: true });
      for (const failed of report.attempts.slice(0, -1)) {
        expect(failed.ok).toBe(false);
        expect(failed.reason).toBeTruthy();
      }
      if (process.platform === 'linux' && process.arch === 'x64') expect(report.attempts[0].provider).toBe('cuda');
    }
  });

  it('preprocesses the reference images to the reference tensors (≤ 1e-3)', async () => {
    for (const image of reference.images) {
      const ours = await preprocessImage(path.join(REFERENCE_DIR, image.file), model.preprocess);
      expect([ours.width, ours.height]).toEqual([image.width, image.height]);
      expect(maxAbsDiff(ours.data, await readF32(image.pixel_values))).toBeLessThanOrEqual(1e-3);
    }
  });

  it('embeds reference tensors to the reference image and patch embeddings (≤ 1e-4), batched', async () => {
    const length = model.imageTensorLength;
    const pixels = new Float32Array(reference.images.length * length);
    for (const [row, image] of reference.images.entries()) pixels.set(await readF32(image.pixel_values), row * length);
    const { embeddings, patches } = await model.embedImages(pixels, reference.images.length);
    expect(patches).toBeDefined();
    for (const [row, image] of reference.images.entries()) {
      expect(maxAbsDiff(embeddings.subarray(row * 128, (row + 1) * 128), normalized(image.image_embeds))).toBeLessThanOrEqual(1e-4);
      const [tokens, dim] = image.patch_embeds_shape;
      expect([patches!.tokens, patches!.dim]).toEqual([tokens, dim]);
      const ours = patches!.data.subarray(row * tokens * dim, (row + 1) * tokens * dim);
      expect(maxAbsDiff(ours, normalized(await readF32(image.patch_embeds), dim))).toBeLessThanOrEqual(1e-4);
    }
  });

  it('tokenizes captions to the reference ids and embeds them to the reference text embeddings (≤ 1e-4)', async () => {
    const texts = reference.texts.map((entry) => entry.text);
    const batch = model.tokenizer.encodeBatch(texts);
    const embeddings = await model.embedTexts(texts);
    for (const [row, entry] of reference.texts.entries()) {
      const span = [row * batch.sequenceLength, (row + 1) * batch.sequenceLength] as const;
      expect(Array.from(batch.inputIds.subarray(...span), Number)).toEqual(entry.input_ids);
      expect(Array.from(batch.attentionMask.subarray(...span), Number)).toEqual(entry.attention_mask);
      expect(maxAbsDiff(embeddings.subarray(row * 128, (row + 1) * 128), normalized(entry.text_embeds))).toBeLessThanOrEqual(1e-4);
    }
  });

  it('fails clearly for a dtype the folder does not have', async () => {
    await expect(ClipModel.load(BUILTIN_MODEL_DIR, { dtype: 'q4' })).rejects.toThrow(/vision_model_q4\.onnx not found; vision_model dtypes present: fp32/);
  });
});

describe('CPU optimized-graph cache', () => {
  let cacheDir: string;
  beforeAll(async () => {
    cacheDir = await mkdtemp(path.join(os.tmpdir(), 'winnow-ort-cache-'));
  });
  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('writes the optimized graph once and loads it on the next session', async () => {
    const modelPath = path.join(BUILTIN_MODEL_DIR, 'onnx', 'text_model.onnx');
    const first = await createSessionWithFallback(modelPath, { provider: 'cpu', threads: 1, cacheDir });
    await first.session.dispose();
    const cached = await readdir(cacheDir);
    expect(cached).toHaveLength(1);
    expect(cached[0]).toMatch(/^text_model-[0-9a-f]{24}\.ort\.onnx$/);
    const second = await createSessionWithFallback(modelPath, { provider: 'cpu', threads: 1, cacheDir });
    expect(second.report).toEqual({ provider: 'cpu', attempts: [{ provider: 'cpu', ok: true }] });
    expect(second.session.inputs.map((input) => input.name)).toEqual(['input_ids', 'attention_mask']);
    await second.session.dispose();
  });
});

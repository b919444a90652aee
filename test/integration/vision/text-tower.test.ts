// A text query loads the text tower alone; its vectors equal the full dual encoder's. The graphs' digest
// is remembered by name + size + mtime and recomputed when a graph changes.
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ActiveModel, DEFAULT_MODEL } from '../../../main/engine/vision/active-model';
import { ClipModel } from '../../../main/engine/vision/clip-model';
import { hashGraphs } from '../../../main/engine/vision/graph-hash';
import { ModelManager } from '../../../main/engine/vision/model-manager';
import { BUILTIN_MODEL_DIR } from '../../fixtures/vision/builtin-model';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'winnow-text-tower-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const texts = ['a photo of a red circle', 'two green squares on a white background', ''];

describe('text tower loaded alone', () => {
  it('embeds texts exactly like the full model, without creating the vision session', async () => {
    const active = new ActiveModel(new ModelManager({ modelsDir: path.join(tmp, 'models'), builtinRoot: path.dirname(BUILTIN_MODEL_DIR) }), path.join(tmp, 'cache'));
    const full = await ClipModel.load(BUILTIN_MODEL_DIR, { threads: 1 });
    try {
      const alone = await active.embedTexts(DEFAULT_MODEL, texts);
      expect(alone.dim).toBe(full.dim);
      const want = await full.embedTexts(texts);
      expect(alone.vectors.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(alone.vectors[i]).toBeCloseTo(want[i], 5);
      // No vision graph was loaded for it: the hash of a full load was never needed either.
      expect((active as unknown as { loaded: unknown }).loaded).toBeNull();
      // Once the full model is loaded, texts go through it and agree with the tower alone.
      const loaded = await active.get(DEFAULT_MODEL);
      const again = await active.embedTexts(DEFAULT_MODEL, texts);
      expect(again.vectors).toEqual(await loaded.model.embedTexts(texts));
    } finally {
      await full.dispose();
      await active.dispose();
    }
  });
});

describe('graph digest', () => {
  it('is the sha256 of names + bytes, remembered, and recomputed when a graph changes', async () => {
    const dir = path.join(tmp, 'model');
    cpSync(BUILTIN_MODEL_DIR, dir, { recursive: true });
    const cache = path.join(tmp, 'hashes.json');
    const independent = () => {
      const h = createHash('sha256');
      for (const f of ['text_model.onnx', 'vision_model.onnx']) h.update(f).update(readFileSync(path.join(dir, 'onnx', f)));
      return h.digest('hex');
    };
    const first = await hashGraphs(dir, cache);
    expect(first).toBe(independent());
    expect(await hashGraphs(dir)).toBe(first);
    expect(JSON.parse(readFileSync(cache, 'utf8'))[path.join(dir, 'onnx')].sha256).toBe(first);
    // Swap the graphs' bytes but keep the text graph's name: a new size/mtime forces a fresh digest.
    copyFileSync(path.join(dir, 'onnx', 'vision_model.onnx'), path.join(dir, 'onnx', 'text_model.onnx'));
    utimesSync(path.join(dir, 'onnx', 'text_model.onnx'), new Date(), new Date(Date.now() + 5000));
    const changed = await hashGraphs(dir, cache);
    expect(changed).not.toBe(first);
    expect(changed).toBe(independent());
  });
});

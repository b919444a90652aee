import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { availableDtypes, loadClipModelFolder, resolveOnnxGraph } from '../../../main/engine/vision/model-folder';

let dir: string;

async function write(file: string, content: string) {
  await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
  await writeFile(path.join(dir, file), content);
}

async function writeConfigs() {
  await write('config.json', JSON.stringify({ model_type: 'clip', projection_dim: 512 }));
  await write('preprocessor_config.json', JSON.stringify({ size: { shortest_edge: 224 }, crop_size: { height: 224, width: 224 } }));
  await write('tokenizer.json', JSON.stringify({ model: { type: 'BPE', vocab: {}, merges: [] } }));
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'winnow-folder-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('model folder loading', () => {
  it('finds dtype variants and prefers fp32 when none is asked for', async () => {
    for (const name of ['vision_model.onnx', 'vision_model_fp16.onnx', 'vision_model_quantized.onnx', 'text_model.onnx']) await write(`onnx/${name}`, '');
    expect(await availableDtypes(dir, 'vision_model')).toEqual(['fp32', 'fp16', 'quantized']);
    expect((await resolveOnnxGraph(dir, 'vision_model')).dtype).toBe('fp32');
    expect((await resolveOnnxGraph(dir, 'vision_model', 'quantized')).path).toBe(path.join(dir, 'onnx', 'vision_model_quantized.onnx'));
    expect((await resolveOnnxGraph(dir, 'vision_model', 'q8')).path).toBe(path.join(dir, 'onnx', 'vision_model_quantized.onnx'));
  });

  it('names the missing variant and lists what exists', async () => {
    await write('onnx/vision_model_fp16.onnx', '');
    await expect(resolveOnnxGraph(dir, 'vision_model', 'q4')).rejects.toThrow(/vision_model_q4\.onnx not found; vision_model dtypes present: fp16/);
  });

  it('loads configs and pairs the text graph with the vision dtype', async () => {
    await writeConfigs();
    await write('onnx/vision_model_fp16.onnx', '');
    await write('onnx/text_model_fp16.onnx', '');
    const folder = await loadClipModelFolder(dir);
    expect(folder.dtype).toBe('fp16');
    expect(folder.textModelPath.endsWith('text_model_fp16.onnx')).toBe(true);
    expect(folder.tokenizerConfig).toEqual({});
  });

  it('explains missing and invalid files', async () => {
    await expect(loadClipModelFolder(path.join(dir, 'nope'))).rejects.toThrow(/does not exist/);
    await writeConfigs();
    await expect(loadClipModelFolder(dir)).rejects.toThrow(/no vision_model\*\.onnx/);
    await write('preprocessor_config.json', JSON.stringify({ size: { shortest_edge: -3 } }));
    await expect(loadClipModelFolder(dir)).rejects.toThrow(/preprocessor_config\.json is invalid: size/);
    await write('config.json', '{ not json');
    await expect(loadClipModelFolder(dir)).rejects.toThrow(/config\.json is not valid JSON/);
  });
});

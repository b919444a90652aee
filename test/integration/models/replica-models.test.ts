// Every downloadable registry family end to end, as a user runs it, on replica repositories (the real file
// names, dtype variants, configs and tokenizers; random small weights) served by the loopback hub:
// `winnow models pull` (with a dtype) → `models validate` → embed + label (CLIP, SigLIP, MobileCLIP) →
// detect (OWL-ViT, OWLv2) → segment (CLIPSeg) → refine (SAM), checking real outputs: shapes, boxes and masks
// in image coordinates, and that the dtype chosen is the graph that ran.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatch, type Dispatch } from '../../../main/api/handlers';
import { decodeRle } from '../../../main/domain/rle';
import { Engine } from '../../../main/engine/engine';
import { preprocessorConfigSchema } from '../../../main/engine/vision/model-config';
import { preprocessImage } from '../../../main/engine/vision/preprocess';
import { preprocessSpecFromConfig } from '../../../main/engine/vision/preprocess-spec';
import { normalizeRows } from '../../../main/engine/vision/vectors';
import { generateScenes } from '../../../main/synthetic';
import { winnowRun } from '../../fixtures/cli';
import { tempDir } from '../../fixtures/images';
import { type ReplicaHub, startReplicaHub } from '../../fixtures/vision/replica/replica-hub';
import { REPLICA_DIM } from '../../fixtures/vision/replica/replica-folder';

const { onnx } = onnxProto;
let replicas: ReplicaHub;
let home: string;
let engine: Engine;
let call: Dispatch;
let images: { file: string; width: number; height: number }[];
const savedEnv = { ...process.env };

type Report = { ok: boolean; dtype?: string; graphs: { file: string; inputs: { name: string; type: string; shape: (number | string)[] }[]; outputs: { name: string; shape: (number | string)[] }[] }[]; clip?: { dim: number; imageSize: number[]; sequenceLength: number } };

/** The CLI, as a user types it (asynchronous: the hub answering its downloads runs in this process). */
async function cli(args: string[]) {
  const res = await winnowRun([...args, '--json'], process.env);
  if (res.code !== 0) throw new Error(`winnow ${args.join(' ')} exited ${res.code}: ${res.stderr}${res.stdout}`);
  return JSON.parse(res.stdout);
}

/** Initializer element types of an installed graph (FLOAT 1, UINT8 2, INT64 7, FLOAT16 10). */
async function initializerTypes(file: string): Promise<Set<number>> {
  const model = onnx.ModelProto.decode(await readFile(file));
  return new Set(model.graph!.initializer!.map((t) => t.dataType!));
}

function expectListedFiles(id: string, dtype: string, files: { path: string }[]) {
  const entry = replicas.entries.get(id)!;
  const installed = path.join(home, 'models', id);
  expect(files.map((f) => path.relative(installed, f.path)).sort()).toEqual([...entry.files.common, ...entry.files[dtype]].map((f) => f.path).sort());
}

/** models.pull + models.validate through the API (what the Models view calls). */
async function pull(id: string, dtype: string): Promise<{ installed: string; report: Report }> {
  const started = (await call('models.pull', { id, dtype })) as { id: number };
  const { job, result } = await engine.modelJobs.wait(started.id);
  expect(job.state, job.error ?? '').toBe('done');
  expect(result!.dtype).toBe(dtype);
  expectListedFiles(id, dtype, result!.files);
  const report = (await call('models.validate', { id, dtype })) as Report;
  expect(report).toMatchObject({ ok: true, dtype });
  return { installed: result!.path, report };
}

async function runJob(method: string, params: Record<string, unknown>) {
  const { jobId } = (await call(method, params)) as { jobId: number };
  const job = await engine.requireProject().jobs.wait(jobId);
  expect(job.state, job.error ?? '').toBe('done');
  return job;
}

beforeAll(async () => {
  home = await tempDir();
  replicas = await startReplicaHub(path.join(home, 'replicas'), ['clip-vit-base-patch32', 'siglip-base-patch16-224', 'mobileclip-s0', 'owlvit-base-patch32', 'owlv2-base-patch16-ensemble', 'clipseg-rd64-refined', 'slimsam-77-uniform']);
  Object.assign(process.env, { WINNOW_HOME: home, WINNOW_MODELS_DIR: path.join(home, 'models'), HF_ENDPOINT: replicas.hub.endpoint });
  const data = await tempDir();
  // Landscape and portrait scenes: OWLv2's padding and every box/mask mapping must hold for both.
  const wide = await generateScenes(2, { seed: 'replica-wide', width: 180, height: 120, objects: [{ color: 'red', shape: 'circle' }, { color: 'blue', shape: 'square' }] });
  const tall = await generateScenes(1, { seed: 'replica-tall', width: 100, height: 160, objects: [{ color: 'green', shape: 'star' }] });
  images = [];
  for (const [i, s] of [...wide, ...tall].entries()) {
    const file = path.join(data, `scene${i}.jpg`);
    await writeFile(file, s.jpeg);
    images.push({ file, width: s.width, height: s.height });
  }
  engine = new Engine('cli');
  call = createDispatch(engine);
  const project = await engine.createProject(path.join(home, 'project'));
  await project.jobs.wait((await engine.addSource(data)).jobId);
}, 120_000);

afterAll(async () => {
  await engine?.close();
  await replicas?.hub.close();
  for (const key of ['WINNOW_HOME', 'WINNOW_MODELS_DIR', 'HF_ENDPOINT']) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
});

describe('replica dual encoders: pull → validate → embed → label', () => {
  it('CLIP ViT-B/32 fp16: the fp16 graphs are installed, validated and are what embedded the images', async () => {
    const pulled = await cli(['models', 'pull', 'clip-vit-base-patch32', '--dtype', 'fp16']);
    expect(pulled.dtype).toBe('fp16');
    expectListedFiles('clip-vit-base-patch32', 'fp16', pulled.files);
    const installed = pulled.path as string;
    const report = (await cli(['models', 'validate', 'clip-vit-base-patch32', '--dtype', 'fp16'])) as Report;
    expect(report).toMatchObject({ ok: true, dtype: 'fp16' });
    expect(report.graphs.map((g) => g.file)).toEqual(['onnx/vision_model_fp16.onnx', 'onnx/text_model_fp16.onnx']);
    expect(report.clip).toMatchObject({ dim: REPLICA_DIM, imageSize: [224, 224], sequenceLength: 77 });
    // Really half precision inside, float32 at the inputs as Transformers.js feeds them.
    expect(await initializerTypes(path.join(installed, 'onnx/vision_model_fp16.onnx'))).toEqual(new Set([10, 7]));
    expect(report.graphs[0].inputs[0]).toMatchObject({ name: 'pixel_values', type: 'float32' });

    await runJob('embed.start', { model: 'clip-vit-base-patch32' });
    expect(((await call('embeddings.list', {})) as { model: string }[]).find((set) => set.model === 'clip-vit-base-patch32')).toMatchObject({ dim: REPLICA_DIM, images: images.length });
    // The stored vectors are the fp16 graph's (not the fp32 one's) on Winnow's preprocessing.
    const stored = new Float32Array((await readFile(path.join(engine.requireProject().dir, 'embeddings', 'clip-vit-base-patch32', 'image.f32'))).buffer.slice(0));
    const spec = preprocessSpecFromConfig(preprocessorConfigSchema.parse(JSON.parse(await readFile(path.join(installed, 'preprocessor_config.json'), 'utf8'))));
    const direct = async (graph: string) => {
      const session = await ort.InferenceSession.create(graph);
      const rows: Float32Array[] = [];
      for (const image of images) {
        const pixels = (await preprocessImage(image.file, spec)).data;
        const out = await session.run({ pixel_values: new ort.Tensor('float32', pixels, [1, 3, 224, 224]) });
        rows.push(normalizeRows(Float32Array.from(out.image_embeds.data as Float32Array), REPLICA_DIM));
      }
      await session.release();
      return rows;
    };
    const nearest = (rows: Float32Array[]) => Math.max(...rows.map((row) => Math.min(...Array.from({ length: stored.length / REPLICA_DIM }, (_, r) => Math.max(...row.map((v, k) => Math.abs(v - stored[r * REPLICA_DIM + k])))))));
    expect(nearest(await direct(path.join(installed, 'onnx/vision_model_fp16.onnx')))).toBeLessThan(1e-6);
    expect(nearest(await direct(path.join(replicas.folders.get('clip-vit-base-patch32')!, 'onnx/vision_model.onnx')))).toBeGreaterThan(1e-5);

    await runJob('labels.run', { model: 'clip-vit-base-patch32', classes: ['red circle', 'blue square', 'green star'].map((name) => ({ name })) });
    expect(await call('labels.counts', {})).toMatchObject({ scored: images.length, model: 'clip-vit-base-patch32' });
  }, 300_000);

  it('SigLIP quantized: MatMulInteger graphs with the sigmoid-model layout (pooler_output, 64-token Unigram text)', async () => {
    const { installed, report } = await pull('siglip-base-patch16-224', 'quantized');
    expect(report.graphs.map((g) => g.file)).toEqual(['onnx/vision_model_quantized.onnx', 'onnx/text_model_quantized.onnx']);
    expect(report.clip).toMatchObject({ dim: REPLICA_DIM, imageSize: [224, 224], sequenceLength: 64 });
    const ops = new Set(onnx.ModelProto.decode(await readFile(path.join(installed, 'onnx/text_model_quantized.onnx'))).graph!.node!.map((n) => n.opType));
    expect([...ops]).toEqual(expect.arrayContaining(['DynamicQuantizeLinear', 'MatMulInteger', 'DequantizeLinear']));
    await runJob('labels.run', { model: 'siglip-base-patch16-224', classes: [{ name: 'cat' }, { name: 'dog' }] });
    expect(await call('labels.counts', {})).toMatchObject({ scored: images.length, model: 'siglip-base-patch16-224' });
    expect(((await call('embeddings.list', {})) as { model: string }[]).find((set) => set.model === 'siglip-base-patch16-224')).toMatchObject({ dim: REPLICA_DIM, images: images.length });
  });

  it('MobileCLIP S0 fp32: 256 px, no normalisation, no attention mask', async () => {
    const { report } = await pull('mobileclip-s0', 'fp32');
    expect(report.clip).toMatchObject({ dim: REPLICA_DIM, imageSize: [256, 256], sequenceLength: 77 });
    expect(report.graphs[1].inputs.map((i) => i.name)).toEqual(['input_ids']);
    await runJob('embed.start', { model: 'mobileclip-s0' });
    expect(((await call('embeddings.list', {})) as { model: string }[]).find((set) => set.model === 'mobileclip-s0')).toMatchObject({ dim: REPLICA_DIM, images: images.length });
  });
});

interface Annotation { item_id: number; kind: string; label: string; bbox: string; rle: string | null; run_id: number }

function annotationsOf(jobId: number) {
  const p = engine.requireProject();
  const run = p.runs.list().find((r) => r.jobId === jobId)!;
  const rows = p.db.prepare('SELECT a.*, i.width, i.height FROM annotations a JOIN items i ON i.id = a.item_id WHERE a.run_id = ?').all(run.id) as (Annotation & { width: number; height: number })[];
  return { run, rows };
}

function expectInImage(rows: (Annotation & { width: number; height: number })[]) {
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) {
    const [x, y, w, h] = JSON.parse(r.bbox) as number[];
    expect(x).toBeGreaterThanOrEqual(0);
    expect(y).toBeGreaterThanOrEqual(0);
    expect(w).toBeGreaterThan(0);
    expect(h).toBeGreaterThan(0);
    expect(x + w).toBeLessThanOrEqual(r.width + 1e-6);
    expect(y + h).toBeLessThanOrEqual(r.height + 1e-6);
  }
}

describe('replica detectors: pull → validate → detect / segment', () => {
  it.each([['owlvit-base-patch32', 'quantized', 576], ['owlv2-base-patch16-ensemble', 'fp16', 3600]] as const)('%s (%s): boxes in image coordinates from the graph of that dtype', async (id, dtype, boxes) => {
    const { report } = await pull(id, dtype);
    const graph = dtype === 'fp16' ? 'onnx/model_fp16.onnx' : 'onnx/model_quantized.onnx';
    expect(report.graphs.map((g) => g.file)).toEqual([graph]);
    expect(report.graphs[0].outputs.find((o) => o.name === 'pred_boxes')?.shape).toEqual(['batch_size', boxes, 4]);
    const job = await runJob('detect.run', { model: id, queries: ['red circle', 'blue square'], threshold: 0, segment: false, selection: null });
    const { run, rows } = annotationsOf(job.id);
    expect(run).toMatchObject({ model: id, params: { detector: id.startsWith('owlv2') ? 'owlv2' : 'owlvit', graph, dtype } });
    expectInImage(rows);
    expect(new Set(rows.map((r) => r.item_id)).size).toBe(images.length);
    expect(rows.every((r) => r.kind === 'box')).toBe(true);
  });

  it('clipseg-rd64-refined (quantized): one mask per query sized to each image', async () => {
    const { report } = await pull('clipseg-rd64-refined', 'quantized');
    expect(report.graphs[0].outputs.find((o) => o.name === 'logits')?.shape).toEqual(['num_queries', 352, 352]);
    const job = await runJob('detect.run', { model: 'clipseg-rd64-refined', queries: ['red circle', 'blue square'], threshold: 0, segment: true, selection: null });
    const { run, rows } = annotationsOf(job.id);
    expect(run.params).toMatchObject({ detector: 'clipseg', graph: 'onnx/model_quantized.onnx', dtype: 'quantized' });
    expectInImage(rows);
    for (const r of rows) {
      const rle = JSON.parse(r.rle!);
      expect(rle.size).toEqual([r.height, r.width]);
      expect(decodeRle(rle).some((v) => v === 1)).toBe(true);
    }
  });
});

describe('replica SAM: pull → validate → refine', () => {
  it('slimsam-77-uniform (quantized): a box becomes a mask of the image size, inside the box grown by 10%', async () => {
    const { report } = await pull('slimsam-77-uniform', 'quantized');
    expect(report.graphs.map((g) => g.file).sort()).toEqual(['onnx/prompt_encoder_mask_decoder_quantized.onnx', 'onnx/vision_encoder_quantized.onnx']);
    {
      const p = engine.requireProject();
      const item = p.items.page(0, 10).find((i) => i.width === 100)!;
      const added = (await call('review.add', { itemId: item.id, label: 'thing', bbox: [20, 30, 50, 60] })) as { annotations: { id: number }[] };
      const refined = (await call('review.refine', { id: added.annotations[0].id, model: 'slimsam-77-uniform' })) as { annotations: { bbox: number[]; rle: { size: number[]; counts: string } | null; params: Record<string, unknown> | null }[] };
      const ann = refined.annotations[0];
      expect(ann.rle!.size).toEqual([160, 100]);
      const [x, y, w, h] = ann.bbox;
      expect(x).toBeGreaterThanOrEqual(20 - 5 - 1);
      expect(y).toBeGreaterThanOrEqual(30 - 6 - 1);
      expect(x + w).toBeLessThanOrEqual(70 + 5 + 1);
      expect(y + h).toBeLessThanOrEqual(90 + 6 + 1);
      expect(decodeRle(ann.rle as never).some((v) => v === 1)).toBe(true);
    }
  });
});

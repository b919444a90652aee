// Verifies an exported winnow-clip-mini folder with onnxruntime-node and @huggingface/tokenizers:
// loads both sessions, prints their input/output names, runs reference/ inputs (batched, to check the
// dynamic batch axis) and compares with the PyTorch reference embeddings; checks the JS tokenizer
// reproduces the reference token ids.
// usage (repo root): node models/training/verify_export.mjs models/winnow-clip-mini
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';

const dir = process.argv[2] ?? 'models/winnow-clip-mini';
const tol = Number(process.argv[3] ?? 1e-4);
const ref = JSON.parse(fs.readFileSync(path.join(dir, 'reference', 'reference.json'), 'utf8'));
const f32 = (name) => {
  const b = fs.readFileSync(path.join(dir, 'reference', name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const maxDiff = (a, b) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); return m; };
let ok = true;

const vis = await ort.InferenceSession.create(path.join(dir, 'onnx', 'vision_model.onnx'));
const txt = await ort.InferenceSession.create(path.join(dir, 'onnx', 'text_model.onnx'));
console.log('vision inputs', vis.inputNames, 'outputs', vis.outputNames);
console.log('text   inputs', txt.inputNames, 'outputs', txt.outputNames);

// vision, all reference images in one batch
const n = ref.images.length;
const px = new Float32Array(n * 3 * 64 * 64);
ref.images.forEach((im, i) => px.set(f32(im.pixel_values), i * 3 * 64 * 64));
const vo = await vis.run({ pixel_values: new ort.Tensor('float32', px, [n, 3, 64, 64]) });
const D = vo.image_embeds.dims[1];
console.log('image_embeds dims', vo.image_embeds.dims, 'patch_embeds dims', vo.patch_embeds.dims);
let worstV = 0;
ref.images.forEach((im, i) => {
  const ie = vo.image_embeds.data.subarray(i * D, (i + 1) * D);
  const pe = vo.patch_embeds.data.subarray(i * 64 * D, (i + 1) * 64 * D);
  worstV = Math.max(worstV, maxDiff(ie, im.image_embeds), maxDiff(pe, f32(im.patch_embeds)));
});
// batch of one must agree too
const one = await vis.run({ pixel_values: new ort.Tensor('float32', px.subarray(0, 3 * 64 * 64), [1, 3, 64, 64]) });
worstV = Math.max(worstV, maxDiff(one.image_embeds.data, ref.images[0].image_embeds));
console.log(`vision max |onnx - torch| = ${worstV.toExponential(2)}`);
if (!(worstV <= tol)) ok = false;

// text: reference ids (padded) in one batch, then unpadded single sequences
const T = ref.texts.length, L = ref.max_length;
const ids = new BigInt64Array(T * L), mask = new BigInt64Array(T * L);
ref.texts.forEach((t, i) => t.input_ids.forEach((v, j) => { ids[i * L + j] = BigInt(v); mask[i * L + j] = BigInt(t.attention_mask[j]); }));
const to = await txt.run({ input_ids: new ort.Tensor('int64', ids, [T, L]), attention_mask: new ort.Tensor('int64', mask, [T, L]) });
console.log('text_embeds dims', to.text_embeds.dims);
let worstT = 0;
ref.texts.forEach((t, i) => { worstT = Math.max(worstT, maxDiff(to.text_embeds.data.subarray(i * D, (i + 1) * D), t.text_embeds)); });
for (const t of ref.texts) {
  const k = t.attention_mask.reduce((a, b) => a + b, 0);
  const o = await txt.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(t.input_ids.slice(0, k), BigInt), [1, k]),
                            attention_mask: new ort.Tensor('int64', BigInt64Array.from(t.attention_mask.slice(0, k), BigInt), [1, k]) });
  worstT = Math.max(worstT, maxDiff(o.text_embeds.data, t.text_embeds));
}
console.log(`text max |onnx - torch| = ${worstT.toExponential(2)} (padded batch and unpadded single sequences)`);
if (!(worstT <= tol)) ok = false;

// tokenizer
const tok = new Tokenizer(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')),
                          JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')));
for (const t of ref.texts) {
  const k = t.attention_mask.reduce((a, b) => a + b, 0);
  const got = tok.encode(t.text).ids.map(Number);
  if (JSON.stringify(got) !== JSON.stringify(t.input_ids.slice(0, k))) { ok = false; console.log('TOKENIZER MISMATCH', t.text, got); }
}
console.log('tokenizer ids match reference:', ok);
const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
console.log('logit_scale', cfg.winnow.logit_scale, 'classes', cfg.winnow.classes.length);
console.log(ok ? 'VERIFY OK' : 'VERIFY FAILED');
process.exit(ok ? 0 : 1);

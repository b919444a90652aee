// The adapted classifier as an ONNX graph: the same graph labels the project's items (onnxruntime runs
// the matrix products multithreaded, so 100k items take about a second) and is what "distill" exports.
//   linear part:  logits = Gemm(x, W, b, transB)
//   cache part:   logits += MatMul(Exp(Gemm(x, K, −β, α=β, transB)), V)   i.e. Σ exp(−β(1 − k·x)) v
//   probs = Softmax(logits)
// Written with onnx-proto (the ONNX protobuf schema compiled for protobufjs).
import { createRequire } from 'node:module';
import type onnxProtoModule from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import type { Classifier } from './classifier';

// onnx-proto (~240 kB of generated protobuf code) is loaded when a head is first written, not by every command.
const require = createRequire(import.meta.url);
let onnxSchema: typeof onnxProtoModule.onnx | undefined;
const onnxOf = () => (onnxSchema ??= (require('onnx-proto') as typeof onnxProtoModule).onnx);

export const HEAD_INPUT = 'image_embeds';
export const HEAD_OUTPUTS = ['probs', 'logits'] as const;
const OPSET = 13;
const IR_VERSION = 7;

function tensor(name: string, dims: number[], data: Float32Array) {
  const bytes = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  return onnxOf().TensorProto.create({ name, dims, dataType: onnxOf().TensorProto.DataType.FLOAT, rawData: bytes });
}

function valueInfo(name: string, dims: (number | string)[]) {
  return onnxOf().ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: onnxOf().TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
}

const intAttr = (name: string, i: number) => onnxOf().AttributeProto.create({ name, type: onnxOf().AttributeProto.AttributeType.INT, i });
const floatAttr = (name: string, f: number) => onnxOf().AttributeProto.create({ name, type: onnxOf().AttributeProto.AttributeType.FLOAT, f });

/** Serialized ONNX model of the classifier; `docString` goes into the model (e.g. the embedding model it reads). */
export function classifierToOnnx(c: Classifier, meta: { docString?: string; metadata?: Record<string, string> } = {}): Uint8Array {
  const nodes = [onnxOf().NodeProto.create({ name: 'linear', opType: 'Gemm', input: [HEAD_INPUT, 'W', 'b'], output: [c.cache ? 'linear_logits' : 'logits'], attribute: [intAttr('transB', 1)] })];
  const initializer = [tensor('W', [c.classes, c.dim], c.weight), tensor('b', [c.classes], c.bias)];
  if (c.cache) {
    const n = c.cache.keys.length / c.dim;
    initializer.push(tensor('cache_keys', [n, c.dim], c.cache.keys), tensor('cache_bias', [n], new Float32Array(n).fill(-c.cache.beta)), tensor('cache_values', [n, c.classes], c.cache.values));
    nodes.push(
      onnxOf().NodeProto.create({ name: 'affinity', opType: 'Gemm', input: [HEAD_INPUT, 'cache_keys', 'cache_bias'], output: ['affinity_log'], attribute: [intAttr('transB', 1), floatAttr('alpha', c.cache.beta)] }),
      onnxOf().NodeProto.create({ name: 'affinity_exp', opType: 'Exp', input: ['affinity_log'], output: ['affinity'] }),
      onnxOf().NodeProto.create({ name: 'cache', opType: 'MatMul', input: ['affinity', 'cache_values'], output: ['cache_logits'] }),
      onnxOf().NodeProto.create({ name: 'blend', opType: 'Add', input: ['linear_logits', 'cache_logits'], output: ['logits'] }),
    );
  }
  nodes.push(onnxOf().NodeProto.create({ name: 'softmax', opType: 'Softmax', input: ['logits'], output: ['probs'], attribute: [intAttr('axis', -1)] }));
  const graph = onnxOf().GraphProto.create({
    name: `winnow_adapted_${c.method.replace('-', '_')}`,
    node: nodes,
    initializer,
    input: [valueInfo(HEAD_INPUT, ['batch', c.dim])],
    output: [valueInfo('probs', ['batch', c.classes]), valueInfo('logits', ['batch', c.classes])],
  });
  const model = onnxOf().ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'winnow',
    docString: meta.docString ?? '',
    metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph,
  });
  return onnxOf().ModelProto.encode(model).finish();
}

/** An ONNX classifier head over embeddings (the project's adapted classifier, or a distilled head loaded back). */
export class OnnxHead {
  private constructor(private readonly session: ort.InferenceSession, readonly dim: number, readonly classes: number) {}

  static async load(model: Uint8Array | string): Promise<OnnxHead> {
    const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
    const input = session.inputMetadata.find((m) => m.name === HEAD_INPUT);
    const output = session.outputMetadata.find((m) => m.name === 'probs');
    const dimOf = (m: typeof input | typeof output) => (m && m.isTensor ? Number(m.shape[1]) : NaN);
    const dim = dimOf(input);
    const classes = dimOf(output);
    if (!Number.isInteger(dim) || !Number.isInteger(classes)) {
      await session.release();
      throw new Error(`not a Winnow classifier head: it needs a [batch, dim] input "${HEAD_INPUT}" and a [batch, classes] output "probs"`);
    }
    return new OnnxHead(session, dim, classes);
  }

  /** Class probabilities of [n × dim] embeddings: [n × classes]. */
  async probs(x: Float32Array): Promise<Float32Array> {
    const n = x.length / this.dim;
    if (n === 0) return new Float32Array(0);
    const out = await this.session.run({ [HEAD_INPUT]: new ort.Tensor('float32', x, [n, this.dim]) }, ['probs']);
    return out.probs.data as Float32Array;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

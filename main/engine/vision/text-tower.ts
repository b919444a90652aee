// The text half of a dual encoder: tokenizer + text graph → L2-normalized rows. Loaded on its own for a
// text query (search) so the vision graph is never created for it; a ClipModel holds one as its text side.
import { Tensor } from 'onnxruntime-node';
import type { ClipModelFolder } from './model-folder';
import { createSessionWithFallback, type ProviderReport, type SessionRequest } from './providers';
import { fixedDim, type OnnxSession, type TensorInfo } from './session';
import { TextTokenizer } from './tokenize';
import { normalizeRows } from './vectors';

// Output names in order of preference: projected embeddings (CLIP), pooled output (SigLIP exports).
const TEXT_OUTPUTS = ['text_embeds', 'pooler_output'];

export function pickOutput(outputs: TensorInfo[], preferred: string[]): string {
  for (const name of preferred) if (outputs.some((output) => output.name === name)) return name;
  if (!outputs[0]) throw new Error('graph has no outputs');
  return outputs[0].name;
}

export function requireInput(session: OnnxSession, names: string[], what: string): string {
  const found = names.find((name) => session.input(name));
  if (found) return found;
  if (session.inputs.length === 1) return session.inputs[0].name;
  throw new Error(`${session.modelPath}: no ${what} input (looked for ${names.join(', ')}; graph has ${session.inputs.map((input) => input.name).join(', ')})`);
}

/** `data` (count rows of `dim`) copied out of an ORT output and L2-normalized. */
export function embeddingRows(output: Tensor, count: number, dim: number): Float32Array {
  const data = output.data as Float32Array;
  if (data.length !== count * dim) throw new Error(`embedding output has ${data.length} values, expected ${count} × ${dim}`);
  return normalizeRows(Float32Array.from(data), dim);
}

export class TextTower {
  readonly idsInput: string;
  readonly maskInput: string | undefined;
  readonly output: string;
  /** Embedding size the text graph declares (undefined when its output axis is dynamic). */
  readonly declaredDim: number | undefined;

  constructor(readonly session: OnnxSession, readonly tokenizer: TextTokenizer, readonly report: ProviderReport, folder: ClipModelFolder) {
    this.idsInput = requireInput(session, ['input_ids'], 'token');
    this.maskInput = session.input('attention_mask') ? 'attention_mask' : undefined;
    this.output = pickOutput(session.outputs, [folder.config.winnow?.text_output ?? '', ...TEXT_OUTPUTS]);
    this.declaredDim = fixedDim(session.output(this.output), 1);
  }

  static async load(folder: ClipModelFolder, request: SessionRequest): Promise<TextTower> {
    const { session, report } = await createSessionWithFallback(folder.textModelPath, request);
    try {
      // A graph with a fixed sequence axis dictates the padded length (SigLIP exports use 64).
      const sequenceLength = fixedDim(session.input('input_ids') ?? session.inputs[0], 1);
      return new TextTower(session, new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig, sequenceLength), report, folder);
    } catch (error) {
      await session.dispose();
      throw error;
    }
  }

  /** Each text → one L2-normalized row of `dim` values. */
  async embed(texts: readonly string[], dim: number): Promise<Float32Array> {
    if (texts.length === 0) return new Float32Array(0);
    const batch = this.tokenizer.encodeBatch(texts);
    const shape = [batch.count, batch.sequenceLength];
    const feeds: Record<string, Tensor> = { [this.idsInput]: this.integerTensor(this.idsInput, batch.inputIds, shape) };
    if (this.maskInput) feeds[this.maskInput] = this.integerTensor(this.maskInput, batch.attentionMask, shape);
    const outputs = await this.session.run(feeds, [this.output]);
    return embeddingRows(outputs[this.output], batch.count, dim);
  }

  // Some exports (e.g. ones converted for mobile runtimes) take int32 ids; follow the graph.
  private integerTensor(name: string, values: BigInt64Array, shape: number[]): Tensor {
    if (this.session.input(name)?.type === 'int32') return new Tensor('int32', Int32Array.from(values, Number), shape);
    return new Tensor('int64', values, shape);
  }

  dispose(): Promise<void> {
    return this.session.dispose();
  }
}

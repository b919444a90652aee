import path from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { loadClipModelFolder, type ClipModelFolder, type ModelDtype } from './model-folder';
import { preprocessSpecFromConfig, tensorLength, type PreprocessSpec } from './preprocess-spec';
import { createSessionWithFallback, type ProviderName, type ProviderReport } from './providers';
import { fixedDim, type OnnxSession, type TensorInfo } from './session';
import { TextTokenizer } from './tokenize';
import { normalizeRows } from './vectors';

export interface ClipLoadOptions {
  provider?: ProviderName;
  dtype?: ModelDtype;
  threads?: number;
  /** Folder for the CPU provider's optimized-graph cache; none when absent. */
  cacheDir?: string;
}

export interface ImageEmbeddings {
  /** [count, dim], each row L2-normalized. */
  embeddings: Float32Array;
  /** [count, tokens, patchDim], each token L2-normalized; only for models that export patch tokens. */
  patches?: { data: Float32Array; tokens: number; dim: number };
}

// Output names in order of preference: projected embeddings (CLIP), pooled output (SigLIP exports).
const IMAGE_OUTPUTS = ['image_embeds', 'pooler_output'];
const TEXT_OUTPUTS = ['text_embeds', 'pooler_output'];
// CLIP's trained temperature (exp(4.6052)); used when a config does not carry its own.
const CLIP_LOGIT_SCALE = 100;

function pickOutput(outputs: TensorInfo[], preferred: string[]): string {
  for (const name of preferred) if (outputs.some((output) => output.name === name)) return name;
  if (!outputs[0]) throw new Error('graph has no outputs');
  return outputs[0].name;
}

function requireInput(session: OnnxSession, names: string[], what: string): string {
  const found = names.find((name) => session.input(name));
  if (found) return found;
  if (session.inputs.length === 1) return session.inputs[0].name;
  throw new Error(`${session.modelPath}: no ${what} input (looked for ${names.join(', ')}; graph has ${session.inputs.map((input) => input.name).join(', ')})`);
}

function patchGridOf(configured: number | number[] | undefined, output: TensorInfo | undefined): [number, number] | undefined {
  if (Array.isArray(configured)) return [configured[0], configured[1]];
  if (typeof configured === 'number') return [configured, configured];
  // Without a configured grid, assume a square one when the token count allows it.
  const tokens = fixedDim(output, 1);
  const side = tokens ? Math.round(Math.sqrt(tokens)) : undefined;
  return side && side * side === tokens ? [side, side] : undefined;
}

/** A CLIP-style dual encoder: images and texts into one normalized embedding space. */
export class ClipModel {
  readonly dim: number;
  readonly logitScale: number;
  /** [rows, columns] of patch tokens (row-major) when the vision graph exports them. */
  readonly patchGrid: [number, number] | undefined;
  readonly preprocess: PreprocessSpec;
  readonly provider: { vision: ProviderReport; text: ProviderReport };
  private readonly pixelInput: string;
  private readonly imageOutput: string;
  private readonly patchOutput: string | undefined;
  private readonly idsInput: string;
  private readonly maskInput: string | undefined;
  private readonly textOutput: string;

  private constructor(
    readonly folder: ClipModelFolder,
    private readonly vision: OnnxSession,
    private readonly text: OnnxSession,
    readonly tokenizer: TextTokenizer,
    reports: { vision: ProviderReport; text: ProviderReport },
  ) {
    this.provider = reports;
    this.preprocess = preprocessSpecFromConfig(folder.preprocessorConfig);
    this.pixelInput = requireInput(vision, ['pixel_values'], 'image');
    this.imageOutput = pickOutput(vision.outputs, [folder.config.winnow?.image_output ?? '', ...IMAGE_OUTPUTS]);
    const patchName = folder.config.winnow?.patch_output ?? 'patch_embeds';
    this.patchOutput = vision.output(patchName) ? patchName : undefined;
    this.idsInput = requireInput(text, ['input_ids'], 'token');
    this.maskInput = text.input('attention_mask') ? 'attention_mask' : undefined;
    this.textOutput = pickOutput(text.outputs, [folder.config.winnow?.text_output ?? '', ...TEXT_OUTPUTS]);
    const declared = fixedDim(vision.output(this.imageOutput), 1) ?? fixedDim(text.output(this.textOutput), 1) ?? folder.config.projection_dim;
    if (!declared) throw new Error(`${folder.dir}: cannot tell the embedding size from the graphs or config.json`);
    this.dim = declared;
    // Not logit_scale_init_value: HF configs carry the *initial* temperature (exp = 14.3), not the trained one.
    this.logitScale = folder.config.winnow?.logit_scale ?? CLIP_LOGIT_SCALE;
    this.patchGrid = this.patchOutput ? patchGridOf(folder.config.winnow?.patch_grid, vision.output(this.patchOutput)) : undefined;
  }

  static async load(dir: string, options: ClipLoadOptions = {}): Promise<ClipModel> {
    const folder = await loadClipModelFolder(path.resolve(dir), options.dtype);
    const request = { provider: options.provider, threads: options.threads, cacheDir: options.cacheDir };
    const vision = await createSessionWithFallback(folder.visionModelPath, request);
    let text: Awaited<ReturnType<typeof createSessionWithFallback>>;
    try {
      text = await createSessionWithFallback(folder.textModelPath, request);
    } catch (error) {
      await vision.session.dispose();
      throw error;
    }
    try {
      // A graph with a fixed sequence axis dictates the padded length (SigLIP exports use 64).
      const sequenceLength = fixedDim(text.session.input('input_ids') ?? text.session.inputs[0], 1);
      const tokenizer = new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig, sequenceLength);
      return new ClipModel(folder, vision.session, text.session, tokenizer, { vision: vision.report, text: text.report });
    } catch (error) {
      await Promise.all([vision.session.dispose(), text.session.dispose()]);
      throw error;
    }
  }

  /** Floats in one preprocessed image (3 × H × W). */
  get imageTensorLength(): number {
    return tensorLength(this.preprocess);
  }

  /** `pixels` holds `count` preprocessed images back to back (see preprocess.ts). */
  async embedImages(pixels: Float32Array, count: number): Promise<ImageEmbeddings> {
    if (count === 0) return { embeddings: new Float32Array(0) };
    const length = this.imageTensorLength;
    if (pixels.length < count * length) throw new RangeError(`expected ${count} images of ${length} floats, got ${pixels.length} floats`);
    const input = pixels.length === count * length ? pixels : pixels.subarray(0, count * length);
    const feeds = { [this.pixelInput]: new Tensor('float32', input, [count, 3, this.preprocess.height, this.preprocess.width]) };
    const outputs = await this.vision.run(feeds, this.patchOutput ? [this.imageOutput, this.patchOutput] : [this.imageOutput]);
    const embeddings = this.rows(outputs[this.imageOutput], count);
    if (!this.patchOutput) return { embeddings };
    const patchTensor = outputs[this.patchOutput];
    const [, tokens, dim] = patchTensor.dims;
    return { embeddings, patches: { data: normalizeRows(Float32Array.from(patchTensor.data as Float32Array), dim), tokens, dim } };
  }

  /** Each text → one L2-normalized row. */
  async embedTexts(texts: readonly string[]): Promise<Float32Array> {
    if (texts.length === 0) return new Float32Array(0);
    const batch = this.tokenizer.encodeBatch(texts);
    const shape = [batch.count, batch.sequenceLength];
    const feeds: Record<string, Tensor> = { [this.idsInput]: this.integerTensor(this.idsInput, batch.inputIds, shape) };
    if (this.maskInput) feeds[this.maskInput] = this.integerTensor(this.maskInput, batch.attentionMask, shape);
    const outputs = await this.text.run(feeds, [this.textOutput]);
    return this.rows(outputs[this.textOutput], batch.count);
  }

  // Some exports (e.g. ones converted for mobile runtimes) take int32 ids; follow the graph.
  private integerTensor(name: string, values: BigInt64Array, shape: number[]): Tensor {
    if (this.text.input(name)?.type === 'int32') return new Tensor('int32', Int32Array.from(values, Number), shape);
    return new Tensor('int64', values, shape);
  }

  private rows(output: Tensor, count: number): Float32Array {
    const data = output.data as Float32Array;
    if (data.length !== count * this.dim) throw new Error(`embedding output has ${data.length} values, expected ${count} × ${this.dim}`);
    return normalizeRows(Float32Array.from(data), this.dim);
  }

  /** Input and output tensors of one tower, as the session reports them. */
  describeGraph(graph: 'vision' | 'text'): { inputs: TensorInfo[]; outputs: TensorInfo[] } {
    const session = graph === 'vision' ? this.vision : this.text;
    return { inputs: session.inputs, outputs: session.outputs };
  }

  async dispose(): Promise<void> {
    await Promise.all([this.vision.dispose(), this.text.dispose()]);
  }
}

import path from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { loadClipModelFolder, type ClipModelFolder, type ModelDtype } from './model-folder';
import { preprocessSpecFromConfig, tensorLength, type PreprocessSpec } from './preprocess-spec';
import { createSessionWithFallback, type ProviderName, type ProviderReport } from './providers';
import { fixedDim, type OnnxSession, type TensorInfo } from './session';
import { embeddingRows, pickOutput, requireInput, TextTower } from './text-tower';
import type { TextTokenizer } from './tokenize';
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

const IMAGE_OUTPUTS = ['image_embeds', 'pooler_output'];
// CLIP's trained temperature (exp(4.6052)); used when a config does not carry its own.
const CLIP_LOGIT_SCALE = 100;

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

  private constructor(
    readonly folder: ClipModelFolder,
    private readonly vision: OnnxSession,
    readonly text: TextTower,
    visionReport: ProviderReport,
  ) {
    this.provider = { vision: visionReport, text: text.report };
    this.preprocess = preprocessSpecFromConfig(folder.preprocessorConfig);
    this.pixelInput = requireInput(vision, ['pixel_values'], 'image');
    this.imageOutput = pickOutput(vision.outputs, [folder.config.winnow?.image_output ?? '', ...IMAGE_OUTPUTS]);
    const patchName = folder.config.winnow?.patch_output ?? 'patch_embeds';
    this.patchOutput = vision.output(patchName) ? patchName : undefined;
    const declared = fixedDim(vision.output(this.imageOutput), 1) ?? text.declaredDim ?? folder.config.projection_dim;
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
    let text: TextTower;
    try {
      text = await TextTower.load(folder, request);
    } catch (error) {
      await vision.session.dispose();
      throw error;
    }
    try {
      return new ClipModel(folder, vision.session, text, vision.report);
    } catch (error) {
      await Promise.all([vision.session.dispose(), text.dispose()]);
      throw error;
    }
  }

  get tokenizer(): TextTokenizer {
    return this.text.tokenizer;
  }

  /** Floats in one preprocessed image (3 × H × W). */
  get imageTensorLength(): number {
    return tensorLength(this.preprocess);
  }

  /** `pixels` holds `count` preprocessed images back to back (see preprocess.ts). */
  /** `patches: false` fetches the image rows only (an embed pass has no use for a model's patch tokens). */
  async embedImages(pixels: Float32Array, count: number, options: { patches?: boolean } = {}): Promise<ImageEmbeddings> {
    if (count === 0) return { embeddings: new Float32Array(0) };
    const length = this.imageTensorLength;
    if (pixels.length < count * length) throw new RangeError(`expected ${count} images of ${length} floats, got ${pixels.length} floats`);
    const input = pixels.length === count * length ? pixels : pixels.subarray(0, count * length);
    const feeds = { [this.pixelInput]: new Tensor('float32', input, [count, 3, this.preprocess.height, this.preprocess.width]) };
    const patchOutput = options.patches === false ? undefined : this.patchOutput;
    const outputs = await this.vision.run(feeds, patchOutput ? [this.imageOutput, patchOutput] : [this.imageOutput]);
    const embeddings = this.rows(outputs[this.imageOutput], count);
    if (!patchOutput) return { embeddings };
    const patchTensor = outputs[patchOutput];
    const [, tokens, dim] = patchTensor.dims;
    return { embeddings, patches: { data: normalizeRows((patchTensor.data as Float32Array).slice(), dim), tokens, dim } };
  }

  /** Each text → one L2-normalized row. */
  embedTexts(texts: readonly string[]): Promise<Float32Array> {
    return this.text.embed(texts, this.dim);
  }

  private rows(output: Tensor, count: number): Float32Array {
    return embeddingRows(output, count, this.dim);
  }

  /** Input and output tensors of one tower, as the session reports them. */
  describeGraph(graph: 'vision' | 'text'): { inputs: TensorInfo[]; outputs: TensorInfo[] } {
    const session = graph === 'vision' ? this.vision : this.text.session;
    return { inputs: session.inputs, outputs: session.outputs };
  }

  async dispose(): Promise<void> {
    await Promise.all([this.vision.dispose(), this.text.dispose()]);
  }
}

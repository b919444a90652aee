import type { ClipModel } from './clip-model';
import type { PreprocessInput } from './preprocess';
import { PreprocessPool, type PoolResult } from './preprocess-pool';
import type { ProviderName } from './providers';

export interface EmbedItemError {
  /** Position of the item in the input stream. */
  index: number;
  reason: string;
}

export interface EmbeddedBatch {
  /** Stream positions of the embedded items; row i of `embeddings` belongs to `indexes[i]`. */
  indexes: number[];
  /** [indexes.length, model.dim], rows L2-normalized. */
  embeddings: Float32Array;
  /** Patch tokens per embedded item when the model exports them. */
  patches?: { data: Float32Array; tokens: number; dim: number };
  errors: EmbedItemError[];
  /** Wall time of this batch's inference, for rate reporting. */
  inferenceMs: number;
}

export interface EmbedImageFilesOptions {
  /** Images per inference call; defaults to what suits the model's provider. */
  batchSize?: number;
  /** A shared pool (its spec must match the model's); otherwise one is created and closed here. */
  pool?: PreprocessPool;
  signal?: AbortSignal;
  /**
   * Batches decoded ahead of the one in inference (default 2). One is enough when decoding is much
   * faster than inference; when the two are close (small models, few cores) a deeper queue keeps the
   * decode workers from idling whenever a batch of theirs finishes before the model is ready for it.
   */
  prefetch?: number;
  onBatch?: (batch: EmbeddedBatch) => void | Promise<void>;
  /**
   * Also return the model's patch tokens when it exports them. Off by default: no embed pass uses them and
   * fetching them costs the built-in model 18% of its inference CPU (detection calls the model itself).
   */
  patches?: boolean;
}

// CPU throughput stops improving past a few dozen images; GPUs need larger batches to fill up.
const BATCH_SIZE_BY_PROVIDER: Record<ProviderName, number> = { cpu: 32, cuda: 128, dml: 64, coreml: 64 };

export function defaultBatchSize(model: ClipModel): number {
  return BATCH_SIZE_BY_PROVIDER[model.provider.vision.provider];
}

async function* chunked(source: AsyncIterable<PreprocessInput> | Iterable<PreprocessInput>, size: number): AsyncGenerator<PreprocessInput[]> {
  let chunk: PreprocessInput[] = [];
  for await (const item of source) {
    chunk.push(item);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

interface PreparedBatch {
  firstIndex: number;
  results: PoolResult[];
}

/**
 * Embeds images (paths or encoded bytes) as a stream: while batch N runs through the model, batch
 * N+1 (and N+2) are already being decoded on the pool, so the slower of the two sets the pace, not
 * their sum. Memory stays at about `prefetch + 1` batches however long the input is. Unreadable images are reported in
 * `errors` and skipped; they never stop the stream.
 */
export async function* embedImageFiles(
  model: ClipModel,
  inputs: AsyncIterable<PreprocessInput> | Iterable<PreprocessInput>,
  options: EmbedImageFilesOptions = {},
): AsyncGenerator<EmbeddedBatch> {
  const batchSize = Math.max(1, options.batchSize ?? defaultBatchSize(model));
  if (options.pool && JSON.stringify(options.pool.spec) !== JSON.stringify(model.preprocess)) {
    throw new Error('the preprocess pool was made for another model (its preprocessing differs)');
  }
  const ownsPool = !options.pool;
  const pool = options.pool ?? new PreprocessPool(model.preprocess);
  const chunks = chunked(inputs, batchSize);
  let nextIndex = 0;
  const prepareNext = async (): Promise<PreparedBatch | undefined> => {
    const next = await chunks.next();
    if (next.done) return undefined;
    const firstIndex = nextIndex;
    nextIndex += next.value.length;
    return { firstIndex, results: await pool.preprocessMany(next.value) };
  };
  const depth = Math.max(1, Math.floor(options.prefetch ?? 2));
  const upcoming: Promise<PreparedBatch | undefined>[] = [];
  const fill = () => {
    while (upcoming.length < depth) {
      // Async generators queue concurrent next() calls, so batches still come in input order.
      const next = prepareNext();
      // Keep a rejected prefetch from surfacing as an unhandled rejection if we stop early.
      next.catch(() => undefined);
      upcoming.push(next);
    }
  };
  try {
    fill();
    for (;;) {
      options.signal?.throwIfAborted();
      const prepared = await upcoming.shift()!;
      if (!prepared) return;
      fill();
      const batch = await inferBatch(model, prepared, options.patches === true);
      options.signal?.throwIfAborted();
      await options.onBatch?.(batch);
      yield batch;
    }
  } finally {
    await chunks.return(undefined);
    if (ownsPool) await pool.close();
  }
}

async function inferBatch(model: ClipModel, prepared: PreparedBatch, patches: boolean): Promise<EmbeddedBatch> {
  const length = model.imageTensorLength;
  const indexes: number[] = [];
  const errors: EmbedItemError[] = [];
  const ok = prepared.results.filter((result, offset) => {
    if (result.ok) indexes.push(prepared.firstIndex + offset);
    else errors.push({ index: prepared.firstIndex + offset, reason: result.reason });
    return result.ok;
  }) as Extract<PoolResult, { ok: true }>[];
  const pixels = new Float32Array(ok.length * length);
  ok.forEach((result, row) => pixels.set(result.data, row * length));
  const started = performance.now();
  const out = await model.embedImages(pixels, ok.length, { patches });
  return { indexes, embeddings: out.embeddings, patches: out.patches, errors, inferenceMs: performance.now() - started };
}

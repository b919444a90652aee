import os from 'node:os';
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
  /** Images of the batch that went to the pool's workers (the rest were model-input cache hits). */
  decoded: number;
  /** Image i's tensor at i × the tensor length (the pool wrote them there); failed images leave gaps. */
  tensor: Float32Array;
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
  // Batch tensors are reused once their inference is done: a fresh one per batch (19 MB for ViT-B/32 at 32)
  // costs its page faults again every time. At most prefetch + 1 are in use.
  const spare: Float32Array[] = [];
  const prepareNext = async (): Promise<PreparedBatch | undefined> => {
    const next = await chunks.next();
    if (next.done) return undefined;
    const firstIndex = nextIndex;
    nextIndex += next.value.length;
    const tensor = spare.pop() ?? new Float32Array(batchSize * model.imageTensorLength);
    const submitted = pool.submitted;
    const results = pool.preprocessMany(next.value, tensor);
    return { firstIndex, tensor, decoded: pool.submitted - submitted, results: await results };
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
  const growth = poolGrowth();
  try {
    fill();
    for (;;) {
      options.signal?.throwIfAborted();
      const waitStarted = performance.now();
      const prepared = await upcoming.shift()!;
      if (!prepared) return;
      const waitedMs = performance.now() - waitStarted;
      fill();
      const batch = await inferBatch(model, prepared, options.patches === true);
      spare.push(prepared.tensor);
      // A batch read whole from the model-input cache gave the workers nothing to do: it says nothing about them
      // (and sampling the system's idle time, os.cpus(), cost ~0.4 ms per batch).
      if (prepared.decoded > 0 && growth.decodeBound(waitedMs, batch.inferenceMs)) pool.grow();
      options.signal?.throwIfAborted();
      await options.onBatch?.(batch);
      yield batch;
    }
  } finally {
    await chunks.return(undefined);
    if (ownsPool) await pool.close();
  }
}

/** Batches in a row whose inference waited on decoding before the pool gets another worker. */
export const GROW_AFTER_BATCHES = 2;
/** Idle cores (system-wide, averaged over a batch) that another worker would have to itself. */
export const GROW_MIN_IDLE_CORES = 0.5;

/** Idle time summed over every core, ms, and when it was read. */
export interface IdleSample {
  idleMs: number;
  at: number;
}

const systemIdle = (): IdleSample => ({ idleMs: os.cpus().reduce((sum, cpu) => sum + cpu.times.idle, 0), at: performance.now() });

/**
 * Tells when the pool should get another worker: decoding, not inference, sets the stream's pace (the model waited
 * for the next batch longer than it took to run the last one) and the machine has a core to spare for it (at least
 * GROW_MIN_IDLE_CORES idle over the batch), for GROW_AFTER_BATCHES batches in a row; the first batch, which always
 * waits for the workers to start, does not count. The pool reserves a core for inference, which a small model
 * hardly uses (the built-in one costs ~0.8 CPU-ms per image against ~4 to decode a 512–1024-px JPEG). On a
 * machine busy with other work (load 11 on 2 cores) a second worker only added CPU per image (5.7–6.0 → 6.4–8.6
 * ms), hence the idle condition.
 */
export function poolGrowth(sample: () => IdleSample = systemIdle): { decodeBound(waitedMs: number, inferenceMs: number): boolean } {
  let batches = 0;
  let streak = 0;
  let last = sample();
  return {
    decodeBound(waitedMs, inferenceMs) {
      const now = sample();
      const idleCores = now.at > last.at ? (now.idleMs - last.idleMs) / (now.at - last.at) : 0;
      last = now;
      if (batches++ === 0) return false;
      streak = waitedMs > inferenceMs && idleCores >= GROW_MIN_IDLE_CORES ? streak + 1 : 0;
      if (streak < GROW_AFTER_BATCHES) return false;
      streak = 0;
      return true;
    },
  };
}

async function inferBatch(model: ClipModel, prepared: PreparedBatch, patches: boolean): Promise<EmbeddedBatch> {
  const length = model.imageTensorLength;
  const { tensor, results, firstIndex } = prepared;
  const indexes: number[] = [];
  const errors: EmbedItemError[] = [];
  // The pool wrote image i at row i; the rows of failed images are closed up so the model sees only images.
  results.forEach((result, i) => {
    if (!result.ok) return errors.push({ index: firstIndex + i, reason: result.reason });
    const row = indexes.length;
    if (i !== row) tensor.copyWithin(row * length, i * length, (i + 1) * length);
    indexes.push(firstIndex + i);
  });
  const started = performance.now();
  const out = await model.embedImages(tensor.subarray(0, indexes.length * length), indexes.length, { patches });
  return { indexes, embeddings: out.embeddings, patches: out.patches, errors, inferenceMs: performance.now() - started };
}

// Where the preprocessing pool decodes: worker threads in this process, or child processes. The choice
// and the sizes come from measurements (docs/architecture.md, "Preprocessing pool"; bench/gpu/README.md):
// on a 16-vCPU machine decoding in one Node process stops scaling at ~4 threads (~460 img/s for 224-px
// inputs at 4, 8 and 16 threads alike) while the same code in child processes kept scaling (1,524 img/s
// at 16); with 2 cores threads are as fast and cost no start-up or copying.
import os from 'node:os';

export type PreprocessMode = 'thread' | 'process';

/** From this many cores on, child processes outrun threads (threads plateau at ~4). */
export const PROCESS_MODE_MIN_CORES = 6;
/** More threads than this in one process add nothing (measured flat from 4 to 16). */
export const MAX_USEFUL_THREADS = 4;

export interface PoolSizing {
  mode: PreprocessMode;
  size: number;
}

/**
 * The pool's mode and worker count: the caller's, else `WINNOW_PREPROCESS_MODE` / `WINNOW_PREPROCESS_WORKERS`,
 * else from the core count. `reserve` cores (default one) are left to the inference that consumes the tensors;
 * a pass that only decodes (the import-time input cache) reserves none. Child processes
 * need a Node binary to fork: inside Electron (the app's utility process) the pool always uses threads.
 */
export function poolSizing(requested: { mode?: PreprocessMode | 'auto'; size?: number; reserve?: number } = {}, cores = os.availableParallelism(), env: NodeJS.ProcessEnv = process.env): PoolSizing {
  const fromEnv = env.WINNOW_PREPROCESS_MODE;
  if (fromEnv && fromEnv !== 'thread' && fromEnv !== 'process' && fromEnv !== 'auto') {
    throw new Error(`WINNOW_PREPROCESS_MODE must be thread, process or auto (got ${JSON.stringify(fromEnv)})`);
  }
  const wanted = requested.mode ?? (fromEnv as PreprocessMode | 'auto' | undefined) ?? 'auto';
  const canFork = !process.versions.electron;
  const mode: PreprocessMode = !canFork ? 'thread' : wanted === 'auto' ? (cores >= PROCESS_MODE_MIN_CORES ? 'process' : 'thread') : wanted;
  const envSize = env.WINNOW_PREPROCESS_WORKERS ? Number(env.WINNOW_PREPROCESS_WORKERS) : undefined;
  if (envSize !== undefined && !(Number.isInteger(envSize) && envSize > 0)) {
    throw new Error(`WINNOW_PREPROCESS_WORKERS must be a positive integer (got ${JSON.stringify(env.WINNOW_PREPROCESS_WORKERS)})`);
  }
  const spare = Math.max(1, cores - (requested.reserve ?? 1));
  const size = requested.size ?? envSize ?? (mode === 'thread' ? Math.min(spare, MAX_USEFUL_THREADS) : spare);
  return { mode, size: Math.max(1, size) };
}

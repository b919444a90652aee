import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InferenceSession, env as ortEnv, listSupportedBackends } from 'onnxruntime-node';
import { externalDataProblems } from './external-data';
import { OnnxSession } from './session';

// onnxruntime-node (1.2x+) records telemetry on Linux too: its first session writes a device id and an event
// database under ~/.cache/Microsoft/DeveloperTools/.onnxruntime (2.5 MB after a day of tests here) and would
// upload it where it finds a CA bundle. Winnow works offline, so it is off unless the user set the variable;
// ORT reads it when the first session creates its environment, which no import has done yet. It also saves
// ~7 ms of CPU per process start (interleaved micro-benchmark, 5 pairs: 81 vs 88 ms for a first session).
process.env.ORT_DISABLE_TELEMETRY ??= '1';

export type ProviderName = 'cuda' | 'dml' | 'coreml' | 'cpu';
export const PROVIDER_NAMES: readonly ProviderName[] = ['cuda', 'dml', 'coreml', 'cpu'];

export interface ProviderAttempt {
  provider: ProviderName;
  ok: boolean;
  /** Why the provider could not be used; absent when it loaded. */
  reason?: string;
}

export interface ProviderReport {
  /** The provider the session actually runs on. */
  provider: ProviderName;
  /** Every provider tried, in order, including the one that succeeded. */
  attempts: ProviderAttempt[];
}

export interface SessionRequest {
  /** The user's choice; tried first, then the CPU fallback. */
  provider?: ProviderName;
  /** CPU intra-op threads; defaults to every available core. */
  threads?: number;
  /** Where the CPU provider may keep optimized graphs so later loads skip graph optimization. */
  cacheDir?: string;
}

/** The accelerator this platform is most likely to have, followed by the CPU which always works. */
export function providerOrder(requested?: ProviderName, platform = process.platform, arch = process.arch): ProviderName[] {
  if (requested) return requested === 'cpu' ? ['cpu'] : [requested, 'cpu'];
  if (platform === 'linux' && arch === 'x64') return ['cuda', 'cpu'];
  if (platform === 'win32') return ['dml', 'cpu'];
  if (platform === 'darwin') return ['coreml', 'cpu'];
  return ['cpu'];
}

/** Per-provider session options; each choice is one ORT documents for that provider. */
export function sessionOptions(provider: ProviderName, threads?: number): InferenceSession.SessionOptions {
  // 'all' enables layout-specific fusions; the cost is paid once per load (and cached for CPU).
  // Accelerator load failures are returned as attempt reasons; ORT printing them too would be noise.
  const common: InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', logSeverityLevel: provider === 'cpu' ? 3 : 4 };
  switch (provider) {
    case 'cpu':
      return {
        ...common,
        executionProviders: ['cpu'],
        // One inference at a time per session: all cores go to intra-op parallelism (GEMMs, convs);
        // inter-op parallelism only helps graphs with wide independent branches, which encoders lack.
        intraOpNumThreads: threads ?? os.availableParallelism(),
        interOpNumThreads: 1,
        executionMode: 'sequential',
        // No spin-waiting between parallel sections: spinning threads hold the cores the preprocess
        // workers need (embedding overlaps decoding with inference) and collapse under any other load.
        // Measured on 2 cores (bench:embed): built-in model pipeline 51 → 96 img/s, ViT-B/32 not slower.
        extra: { session: { intra_op: { allow_spinning: '0' } } },
        // The arena and memory pattern reuse buffers across runs of the same batch shape.
        enableCpuMemArena: true,
        enableMemPattern: true,
      };
    case 'cuda':
      // The CUDA EP keeps its own device memory arena (grows by powers of two and is reused across
      // runs); the CPU arena still serves host-side copies of inputs and outputs.
      return { ...common, executionProviders: [{ name: 'cuda', deviceId: 0 }], enableCpuMemArena: true };
    case 'dml':
      // DirectML requires memory pattern off and sequential execution (documented EP constraint).
      return { ...common, executionProviders: [{ name: 'dml', deviceId: 0 }], enableMemPattern: false, executionMode: 'sequential' };
    case 'coreml':
      // 0x010 = COREML_FLAG_CREATE_MLPROGRAM: the ML Program format covers far more ops than
      // NeuralNetwork, so less of the graph falls back to the CPU.
      return { ...common, executionProviders: [{ name: 'coreml', coreMlFlags: 0x010 }] };
  }
}

// A provider whose runtime libraries failed to load will fail the same way for every later model
// in this process; remembering it avoids repeating the slow attempt and ORT's console noise.
const unloadableProviders = new Map<ProviderName, string>();

/** Folder holding onnxruntime-node's native libraries for this platform. */
export function ortBinFolder(): string {
  const root = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  return path.join(root, 'bin', 'napi-v6', process.platform, process.arch);
}

/** Whether `winnow gpu install` (onnxruntime-node's installer) has put the CUDA provider libraries in place. */
export function cudaProviderInstalled(): boolean {
  try {
    return readdirSync(ortBinFolder()).some((f) => f.includes('providers_cuda'));
  } catch {
    return false;
  }
}

function backendAvailability(provider: ProviderName): string | undefined {
  if (provider === 'cpu') return undefined;
  const backend = listSupportedBackends().find((entry) => entry.name === provider);
  if (!backend) return `${provider} is not supported by this onnxruntime-node build on ${process.platform}-${process.arch}`;
  // Checking the files first spares a doomed attempt and the error ORT would print on the console.
  if (provider === 'cuda' && !backend.bundled && !cudaProviderInstalled()) return 'the CUDA provider is not installed (run `winnow gpu install` on a machine with an NVIDIA GPU)';
  return unloadableProviders.get(provider);
}

function failureReason(provider: ProviderName, error: unknown): string {
  const message = (error as Error).message.split('\n')[0];
  const backend = listSupportedBackends().find((entry) => entry.name === provider);
  if (/load(ing)? (shared )?librar/i.test(message)) {
    const reason = backend && !backend.bundled ? `${message} (onnxruntime-node does not bundle the ${provider} provider; its libraries, e.g. CUDA 12 + cuDNN 9 for cuda, must be installed separately)` : message;
    unloadableProviders.set(provider, reason);
    return reason;
  }
  return message;
}

/** A cache key that changes whenever the model file or the runtime that optimized it changes. */
async function optimizedCachePath(cacheDir: string, modelPath: string, threads: number): Promise<string | undefined> {
  const modelStat = await stat(modelPath);
  // Graphs with external weights cannot be re-serialized into one file; skip caching them.
  const external = await stat(`${modelPath}_data`).then(() => true, () => stat(`${modelPath}.data`).then(() => true, () => false));
  if (external) return undefined;
  const key = createHash('sha256')
    .update(JSON.stringify([path.resolve(modelPath), modelStat.size, modelStat.mtimeMs, ortEnv.versions.node, threads, os.arch()]))
    .digest('hex')
    .slice(0, 24);
  return path.join(cacheDir, `${path.basename(modelPath, '.onnx')}-${key}.ort.onnx`);
}

async function createCpuSession(modelPath: string, options: InferenceSession.SessionOptions, cacheDir?: string): Promise<InferenceSession> {
  const cached = cacheDir ? await optimizedCachePath(cacheDir, modelPath, options.intraOpNumThreads ?? 0) : undefined;
  if (!cached) return InferenceSession.create(modelPath, options);
  if (await stat(cached).then(() => true, () => false)) {
    try {
      return await InferenceSession.create(cached, options);
    } catch {
      // A cache written by a crashed process or another runtime: rebuild it from the original.
      await rm(cached, { force: true });
    }
  }
  await mkdir(path.dirname(cached), { recursive: true });
  // ORT writes the optimized graph while creating the session; write beside and rename so a
  // concurrent or interrupted load never sees a half-written cache.
  const partial = `${cached}.${process.pid}.tmp`;
  const session = await InferenceSession.create(modelPath, { ...options, optimizedModelFilePath: partial });
  await rename(partial, cached).catch(() => rm(partial, { force: true }));
  return session;
}

/**
 * Creates a session on the first provider that loads, trying them in `providerOrder`. Every failure
 * is kept with its reason so the UI and CLI can say why the GPU was not used.
 */
export async function createSessionWithFallback(modelPath: string, request: SessionRequest = {}): Promise<{ session: OnnxSession; report: ProviderReport }> {
  const attempts: ProviderAttempt[] = [];
  for (const provider of providerOrder(request.provider)) {
    const unavailable = backendAvailability(provider);
    if (unavailable) {
      attempts.push({ provider, ok: false, reason: unavailable });
      continue;
    }
    const options = sessionOptions(provider, request.threads);
    try {
      const session =
        provider === 'cpu'
          ? await createCpuSession(modelPath, options, request.cacheDir)
          : await InferenceSession.create(modelPath, options);
      attempts.push({ provider, ok: true });
      return { session: new OnnxSession(session, modelPath, provider), report: { provider, attempts } };
    } catch (error) {
      attempts.push({ provider, ok: false, reason: failureReason(provider, error) });
    }
  }
  const reasons = attempts.map((attempt) => `${attempt.provider}: ${attempt.reason}`).join('; ');
  // A missing or truncated external-data file is the model's fault, not the provider's: say which file.
  const broken = await externalDataProblems(modelPath);
  if (broken.length) throw new Error(`could not load ${modelPath}: ${broken.join('; ')} (download the model again)`);
  throw new Error(`could not load ${modelPath} on any execution provider (${reasons})`);
}

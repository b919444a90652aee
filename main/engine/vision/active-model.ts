import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ClipModel } from './clip-model';
import type { ModelManager } from './model-manager';
import { PROVIDER_NAMES, type ProviderName, type ProviderReport } from './providers';

export const DEFAULT_MODEL = 'winnow-clip-mini';

export interface LoadedModel {
  id: string;
  dir: string;
  model: ClipModel;
  /** sha256 of the ONNX graphs, so a dataset card can name exactly what produced its signals. */
  hash: string;
}

export interface VisionStatus {
  model: string;
  dim: number;
  provider: ProviderName;
  attempts: ProviderReport['attempts'];
  hash: string;
}

/** The one loaded dual encoder of the engine, loaded on first use and reused by every job. */
export class ActiveModel {
  private loaded: Promise<LoadedModel> | null = null;
  private loadedId: string | null = null;

  constructor(private readonly models: ModelManager, private readonly cacheDir: string) {}

  /** WINNOW_PROVIDER (cuda, dml, coreml, cpu) overrides the automatic order. */
  static requestedProvider(): ProviderName | undefined {
    const p = process.env.WINNOW_PROVIDER;
    if (!p) return undefined;
    if (!(PROVIDER_NAMES as readonly string[]).includes(p)) throw new Error(`WINNOW_PROVIDER=${p} is not one of ${PROVIDER_NAMES.join(', ')}`);
    return p as ProviderName;
  }

  get(id: string = DEFAULT_MODEL): Promise<LoadedModel> {
    if (this.loaded && this.loadedId === id) return this.loaded;
    const previous = this.loaded;
    this.loadedId = id;
    this.loaded = (async () => {
      if (previous) await (await previous.catch(() => null))?.model.dispose();
      const dir = await this.models.resolve(id);
      const model = await ClipModel.load(dir, { provider: ActiveModel.requestedProvider(), cacheDir: path.join(this.cacheDir, id) });
      return { id, dir, model, hash: await hashGraphs(dir) };
    })();
    this.loaded.catch(() => {
      if (this.loadedId === id) {
        this.loaded = null;
        this.loadedId = null;
      }
    });
    return this.loaded;
  }

  /** The folder of an installed model (detectors that are not dual encoders load from it themselves). */
  resolveDir(id: string = DEFAULT_MODEL): Promise<string> {
    return this.models.resolve(id);
  }

  async status(id?: string): Promise<VisionStatus> {
    const { id: model, model: clip, hash } = await this.get(id);
    return { model, dim: clip.dim, provider: clip.provider.vision.provider, attempts: clip.provider.vision.attempts, hash };
  }

  async dispose(): Promise<void> {
    const current = this.loaded;
    this.loaded = null;
    this.loadedId = null;
    await (await current?.catch(() => null))?.model.dispose();
  }
}

async function hashGraphs(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const onnxDir = path.join(dir, 'onnx');
  for (const f of (await readdir(onnxDir)).filter((n) => n.endsWith('.onnx')).sort()) {
    hash.update(f);
    for await (const chunk of createReadStream(path.join(onnxDir, f))) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

import path from 'node:path';
import { ClipModel } from './clip-model';
import { hashGraphs } from './graph-hash';
import { loadClipModelFolder } from './model-folder';
import type { ModelManager } from './model-manager';
import { PROVIDER_NAMES, type ProviderName, type ProviderReport } from './providers';
import { TextTower } from './text-tower';

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
  /** A text tower loaded alone (for a text query while no full model of that id is loaded). */
  private textOnly: { id: string; tower: Promise<{ tower: TextTower; dim: number }> } | null = null;

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
    // A text tower loaded alone stays until dispose(): a search may be running on it right now.
    this.loaded = (async () => {
      if (previous) await (await previous.catch(() => null))?.model.dispose();
      const dir = await this.models.resolve(id);
      const [model, hash] = await Promise.all([
        ClipModel.load(dir, { provider: ActiveModel.requestedProvider(), cacheDir: path.join(this.cacheDir, id) }),
        hashGraphs(dir, path.join(this.cacheDir, 'graph-hashes.json')),
      ]);
      return { id, dir, model, hash };
    })();
    this.loaded.catch(() => {
      if (this.loadedId === id) {
        this.loaded = null;
        this.loadedId = null;
      }
    });
    return this.loaded;
  }

  /**
   * Embeds texts with model `id`: through the loaded dual encoder when it is that model, else through its
   * text tower loaded alone (a text search never pays for creating the vision graph). Rows are `dim` wide.
   */
  async embedTexts(id: string, texts: readonly string[]): Promise<{ vectors: Float32Array; dim: number }> {
    if (this.loaded && this.loadedId === id) {
      const { model } = await this.loaded;
      return { vectors: await model.embedTexts(texts), dim: model.dim };
    }
    if (this.textOnly?.id !== id) {
      const previous = this.textOnly;
      const tower = (async () => {
        if (previous) await (await previous.tower.catch(() => null))?.tower.dispose();
        const folder = await loadClipModelFolder(path.resolve(await this.models.resolve(id)));
        const loaded = await TextTower.load(folder, { provider: ActiveModel.requestedProvider(), cacheDir: path.join(this.cacheDir, id) });
        const dim = loaded.declaredDim ?? folder.config.projection_dim;
        if (!dim) {
          await loaded.dispose();
          throw new Error(`${folder.dir}: the text graph does not declare its embedding size; load the full model`);
        }
        return { tower: loaded, dim };
      })();
      this.textOnly = { id, tower };
      tower.catch(() => {
        if (this.textOnly?.tower === tower) this.textOnly = null;
      });
    }
    const { tower, dim } = await this.textOnly!.tower;
    return { vectors: await tower.embed(texts, dim), dim };
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
    const text = this.textOnly;
    this.loaded = null;
    this.loadedId = null;
    this.textOnly = null;
    await (await current?.catch(() => null))?.model.dispose();
    await (await text?.tower.catch(() => null))?.tower.dispose();
  }
}

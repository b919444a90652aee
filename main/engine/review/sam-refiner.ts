// "Refine" in review: a box (and optional clicks) → a SAM mask, with whichever Segment Anything export is
// installed (model task 'mask-generation'). Keeps one segmenter loaded and the image embeddings of the
// last few items, so refining several annotations of one image runs the heavy encoder once.
import { readItemBytes } from '../media/resolve';
import type { Project } from '../project';
import { SamSegmenter, type SamEmbedding, type SamMask, type SamPoint } from '../detect/sam';
import type { Box } from '../detect/geometry';
import type { ModelManager } from '../vision/model-manager';

const EMBEDDINGS_KEPT = 4;

export class SamRefiner {
  private loaded: { id: string; segmenter: SamSegmenter } | null = null;
  private readonly embeddings = new Map<string, SamEmbedding>();

  constructor(private readonly models: ModelManager) {}

  /** The installed SAM model to use: `id` if given, else the first installed one. */
  async pick(id?: string): Promise<string> {
    const sams = (await this.models.list()).filter((m) => m.task === 'mask-generation');
    if (id) {
      const found = sams.find((m) => m.id === id);
      if (!found) throw new Error(`'${id}' is not a Segment Anything (mask-generation) model`);
      if (!found.installed) throw new Error(`'${id}' is not installed: download it under Models first`);
      return id;
    }
    const installed = sams.find((m) => m.installed);
    if (!installed) {
      const offered = sams.map((m) => m.name).join(', ');
      throw new Error(`refining needs a Segment Anything model: download one under Models${offered ? ` (${offered})` : ''}`);
    }
    return installed.id;
  }

  private async segmenter(id: string): Promise<SamSegmenter> {
    if (this.loaded?.id === id) return this.loaded.segmenter;
    await this.dispose();
    const segmenter = await SamSegmenter.load(await this.models.resolve(id));
    this.loaded = { id, segmenter };
    return segmenter;
  }

  async refine(project: Project, itemId: number, prompt: { box?: Box; points?: SamPoint[] }, model?: string): Promise<SamMask & { model: string }> {
    // The loaded segmenter serves later refines without listing the models folder again.
    const id = model === undefined && this.loaded ? this.loaded.id : await this.pick(model);
    const segmenter = await this.segmenter(id);
    const key = `${project.dir}\n${itemId}`;
    let embedding = this.embeddings.get(key);
    if (!embedding) {
      embedding = await segmenter.embed((await readItemBytes(project, itemId)).data);
      this.embeddings.set(key, embedding);
      while (this.embeddings.size > EMBEDDINGS_KEPT) this.embeddings.delete(this.embeddings.keys().next().value!);
    }
    return { ...(await segmenter.segment(embedding, prompt)), model: id };
  }

  async dispose(): Promise<void> {
    this.embeddings.clear();
    const loaded = this.loaded;
    this.loaded = null;
    await loaded?.segmenter.dispose();
  }
}

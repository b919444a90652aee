// In-memory scenes for evaluation scripts: rendered pixels, encoded JPEG and ground truth.
import { encodeRgb } from './encode';
import { Rng, type Seed } from './random';
import { renderScene, type RenderedScene } from './render';
import { sampleScene, type SceneOptions } from './scene';
import { loadVocabulary } from './vocabulary';

export interface GenerateScenesOptions extends SceneOptions {
  seed: Seed;
  /** Also encode each scene (blur + JPEG at its sampled quality). Default true. */
  encode?: boolean;
}

export interface GeneratedScene extends RenderedScene {
  index: number;
  caption: string;
  /** Blurred + JPEG-encoded bytes; empty when encode is false. */
  jpeg: Buffer;
}

/** Scene i depends only on (seed, i, options), so generateScenes(n) is a prefix of generateScenes(n + k). */
export async function generateScenes(n: number, options: GenerateScenesOptions): Promise<GeneratedScene[]> {
  if (!Number.isInteger(n) || n < 0) throw new Error(`scene count must be a non-negative integer, got ${n}`);
  const vocab = loadVocabulary();
  const root = new Rng(`winnow-scenes/${options.seed}`);
  const out: GeneratedScene[] = [];
  for (let index = 0; index < n; index++) {
    const spec = sampleScene(root.fork(index), vocab, options);
    const scene = renderScene(spec);
    const jpeg =
      options.encode === false
        ? Buffer.alloc(0)
        : await encodeRgb(scene.rgb, spec.width, spec.height, { format: 'jpeg', quality: spec.jpegQuality, blurSigma: spec.blurSigma });
    out.push({ ...scene, index, caption: spec.caption, jpeg });
  }
  return out;
}

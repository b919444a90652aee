// Zero-shot classification with a CLIP-style dual encoder: class prompts (templates × names, averaged
// and re-normalized, as in CLIP's prompt ensembling), logits = logitScale × cosine, then either a
// softmax over the classes (single-label) or an independent sigmoid per class (multi-label).
import { createHash } from 'node:crypto';

/** A class: its name (the label stored), optional synonyms (extra prompt names) and a free description. */
export interface ClassSpec { name: string; synonyms?: string[]; description?: string }

/**
 * Default prompt templates: the vocabulary's zero-shot style ("a photo of a {}") first, then a short
 * subset of CLIP's ImageNet ensemble that reads naturally for any noun phrase. `{}` is the class name.
 */
export const DEFAULT_TEMPLATES: readonly string[] = [
  'a photo of a {}',
  'a photo of a {}.',
  'a picture of a {}.',
  'an image of a {}.',
  'a {}',
  'a good photo of a {}.',
  'a close-up photo of a {}.',
  'a rendering of a {}.',
];

export const MAX_CLASSES = 1000;
const TEXT_BATCH = 256;

/** Parses the Labels panel / CLI text: one class per line (or comma-separated), synonyms after ':' separated by ','/'|'. */
export function parseClassList(text: string, { commaSeparated = false } = {}): ClassSpec[] {
  const lines = commaSeparated ? text.split(',') : text.split(/\r?\n/);
  const seen = new Set<string>();
  const out: ClassSpec[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const colon = commaSeparated ? -1 : line.indexOf(':');
    const name = (colon >= 0 ? line.slice(0, colon) : line).trim();
    if (!name || seen.has(name)) continue;
    seen.add(name);
    const synonyms = colon >= 0 ? line.slice(colon + 1).split(/[,|]/).map((s) => s.trim()).filter(Boolean) : [];
    out.push(synonyms.length ? { name, synonyms } : { name });
  }
  return out;
}

/** Fills a template: `{}` (CLIP style) or `{label}` becomes the name; a template without a slot gets the name appended. */
export function fillTemplate(template: string, name: string): string {
  if (template.includes('{}')) return template.split('{}').join(name);
  if (template.includes('{label}')) return template.split('{label}').join(name);
  return `${template} ${name}`.trim();
}

/** Every prompt of one class: each template × (name + synonyms), plus the description verbatim when given. */
export function classPrompts(c: ClassSpec, templates: readonly string[]): string[] {
  const names = [c.name, ...(c.synonyms ?? [])];
  const prompts = templates.flatMap((t) => names.map((n) => fillTemplate(t, n)));
  if (c.description?.trim()) prompts.push(c.description.trim());
  return [...new Set(prompts)];
}

/** A stable short hash of a classifier configuration (recorded on every label and signal it writes). */
export function configHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}

type EmbedTexts = (texts: readonly string[]) => Promise<Float32Array>;

/** Embeds texts in batches (the text tower takes one batch per call). */
export async function embedTextsBatched(embed: EmbedTexts, texts: readonly string[], dim: number): Promise<Float32Array> {
  const out = new Float32Array(texts.length * dim);
  for (let i = 0; i < texts.length; i += TEXT_BATCH) out.set(await embed(texts.slice(i, i + TEXT_BATCH)), i * dim);
  return out;
}

/** [classes × dim] matrix of class embeddings: mean of the class's prompt embeddings, L2-normalized. */
export async function classEmbeddings(embed: EmbedTexts, dim: number, classes: readonly ClassSpec[], templates: readonly string[]): Promise<Float32Array> {
  const prompts = classes.map((c) => classPrompts(c, templates));
  const flat = prompts.flat();
  const vectors = await embedTextsBatched(embed, flat, dim);
  const out = new Float32Array(classes.length * dim);
  let row = 0;
  prompts.forEach((ps, c) => {
    const mean = out.subarray(c * dim, (c + 1) * dim);
    for (let p = 0; p < ps.length; p++, row++) for (let j = 0; j < dim; j++) mean[j] += vectors[row * dim + j];
    l2normalize(mean);
  });
  return out;
}

/** Cosines of one unit row with every class row. */
export function cosines(image: Float32Array, classMatrix: Float32Array, dim: number, out = new Float32Array(classMatrix.length / dim)): Float32Array {
  for (let c = 0; c < out.length; c++) {
    let s = 0;
    const base = c * dim;
    for (let j = 0; j < dim; j++) s += image[j] * classMatrix[base + j];
    out[c] = s;
  }
  return out;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * b[j];
  return s;
}

/** Softmax of logitScale × cosine (numerically stable). */
export function softmax(cos: Float32Array, logitScale: number): Float64Array {
  let max = -Infinity;
  for (const v of cos) max = Math.max(max, v);
  const p = new Float64Array(cos.length);
  let sum = 0;
  for (let i = 0; i < cos.length; i++) sum += p[i] = Math.exp(logitScale * (cos[i] - max));
  for (let i = 0; i < p.length; i++) p[i] /= sum;
  return p;
}

/**
 * Multi-label probability for a CLIP-style model: sigmoid(logitScale × (cos − t_c)), where t_c is the
 * class's cosine threshold (the cosine at which the probability is 0.5). SigLIP is trained with exactly
 * this form (its learned bias b = −logitScale × t); for CLIP, t_c has to be chosen per class (see CosineHistogram.minError).
 */
export function sigmoidProb(cos: number, logitScale: number, t: number): number {
  return 1 / (1 + Math.exp(-logitScale * (cos - t)));
}

/** Indexes of the k largest values, largest first. */
export function topK(values: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => values[b] - values[a]);
  return idx.slice(0, Math.min(k, idx.length));
}

/**
 * A streaming histogram of cosines in [-1, 1] (fixed bins, bounded memory) with two automatic cuts
 * between "class absent" and "class present" scores: minimum-error (the default t_c of multi-label
 * mode when the caller gives none) and Otsu.
 */
export class CosineHistogram {
  static readonly BINS = 400;
  readonly counts = new Float64Array(CosineHistogram.BINS);
  n = 0;

  add(cos: number): void {
    const b = Math.min(CosineHistogram.BINS - 1, Math.max(0, Math.floor(((cos + 1) / 2) * CosineHistogram.BINS)));
    this.counts[b]++;
    this.n++;
  }

  private center(b: number): number {
    return ((b + 0.5) / CosineHistogram.BINS) * 2 - 1;
  }

  /**
   * Kittler-Illingworth minimum-error threshold: fits one Gaussian below and one above the cut and
   * minimizes the classification error. Unlike Otsu it copes with very unequal groups (a class present
   * in 3% of images); falls back to Otsu when no cut leaves both sides with spread.
   */
  minError(fromQuantile = 0): number {
    if (this.n === 0) return 0.5;
    if (fromQuantile > 0) {
      // Only the upper part of the distribution: drops the bulk of clearly-absent scores so the cut
      // falls between "partly matching" (same colour or same shape, say) and "present".
      const upper = new CosineHistogram();
      let below = 0;
      for (let b = 0; b < this.counts.length; b++) {
        if (below >= fromQuantile * this.n) { upper.counts[b] = this.counts[b]; upper.n += this.counts[b]; }
        below += this.counts[b];
      }
      return upper.n >= 4 ? upper.minError() : this.minError();
    }
    const B = this.counts.length;
    let best = Infinity, cut = NaN;
    let w1 = 0, s1 = 0, q1 = 0;
    let wT = 0, sT = 0, qT = 0;
    for (let b = 0; b < B; b++) {
      const x = this.center(b);
      wT += this.counts[b]; sT += this.counts[b] * x; qT += this.counts[b] * x * x;
    }
    for (let b = 0; b < B - 1; b++) {
      const x = this.center(b);
      w1 += this.counts[b]; s1 += this.counts[b] * x; q1 += this.counts[b] * x * x;
      const w2 = wT - w1;
      if (w1 < 2 || w2 < 2) continue;
      const m1 = s1 / w1, m2 = (sT - s1) / w2;
      const v1 = q1 / w1 - m1 * m1, v2 = (qT - q1) / w2 - m2 * m2;
      if (v1 <= 1e-10 || v2 <= 1e-10) continue;
      const p1 = w1 / wT, p2 = w2 / wT;
      const j = p1 * Math.log(v1) + p2 * Math.log(v2) - 2 * (p1 * Math.log(p1) + p2 * Math.log(p2));
      if (j < best) {
        best = j;
        cut = ((b + 1) / B) * 2 - 1;
      }
    }
    return Number.isNaN(cut) ? this.otsu() : cut;
  }

  /** Otsu's threshold (maximizes between-class variance); 0.5 cosine when the histogram is empty. */
  otsu(): number {
    if (this.n === 0) return 0.5;
    let total = 0;
    for (let b = 0; b < this.counts.length; b++) total += this.counts[b] * this.center(b);
    let wB = 0, sumB = 0, best = -1, cut = 0;
    for (let b = 0; b < this.counts.length - 1; b++) {
      wB += this.counts[b];
      if (wB === 0) continue;
      const wF = this.n - wB;
      if (wF === 0) break;
      sumB += this.counts[b] * this.center(b);
      const mB = sumB / wB;
      const mF = (total - sumB) / wF;
      const between = wB * wF * (mB - mF) ** 2;
      if (between > best) {
        best = between;
        cut = (b + 1) / CosineHistogram.BINS * 2 - 1;
      }
    }
    return cut;
  }
}

/** A valid signal-name slug for a concept prompt: "a watermark" → "a_watermark". */
export function conceptSlug(prompt: string): string {
  const slug = prompt.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 100);
  return slug || createHash('sha256').update(prompt).digest('hex').slice(0, 12);
}

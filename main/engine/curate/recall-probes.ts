// Probe queries for the index's recall gate (ann-recall.ts) that look like the searches a curator runs: the
// project's own captions and labels through the model's text tower, spread over the whole project.
import type { Project } from '../project';
import type { EmbeddingSet } from '../store/embeddings';
import type { ActiveModel } from '../vision/active-model';

/** Up to `count` texts: captions at evenly spread rowids, then distinct labels (≤ a third of the probes). */
export function probeTexts(project: Project, count: number): string[] {
  const labels = project.db.prepare('SELECT DISTINCT label FROM annotations LIMIT ?').pluck().all(Math.floor(count / 3)) as string[];
  const { lo, hi } = project.db.prepare('SELECT min(rowid) lo, max(rowid) hi FROM captions').get() as { lo: number | null; hi: number | null };
  const at = project.db.prepare('SELECT text FROM captions WHERE rowid >= ? AND is_primary = 1 ORDER BY rowid LIMIT 1').pluck();
  const captions: string[] = [];
  const want = count - labels.length;
  if (lo !== null && hi !== null) {
    for (let i = 0; i < want; i++) {
      const text = at.get(Math.floor(lo + ((i + 0.5) * (hi - lo + 1)) / want)) as string | undefined;
      if (text?.trim()) captions.push(text.trim());
    }
  }
  return [...new Set([...captions, ...labels.filter((l) => l.trim())])].slice(0, count);
}

/** The probe texts embedded by the set's model; none when the model has no text tower or its width differs. */
export async function textProbes(project: Project, set: EmbeddingSet, active: ActiveModel, count: number): Promise<Float32Array[]> {
  const texts = probeTexts(project, count);
  if (texts.length === 0) return [];
  try {
    const { vectors, dim } = await active.embedTexts(set.model, texts);
    if (dim !== set.dim) return [];
    return texts.map((_, i) => vectors.slice(i * dim, (i + 1) * dim));
  } catch {
    return []; // an image-only model: the image probes alone decide
  }
}

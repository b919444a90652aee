// How alike the members of a duplicate group are, in numbers a curator can compare across kinds:
// exact copies 1, perceptual 1 - Hamming bits / 64, semantic the cosine of the image embeddings of
// the model the semantic run used (read from the run, so the number matches what grouped them).
import type { Project } from '../project';
import { readRows } from './embedding-pages';

/** Cosine between two items' image embeddings of `model`, or null when either is not embedded. */
export function imageCosine(project: Project, model: string, a: number, b: number): number | null {
  const set = project.embeddings.getSet(model);
  if (!set) return null;
  const ra = project.embeddings.rowsOf(set, a);
  const rb = project.embeddings.rowsOf(set, b);
  if (!ra || !rb) return null;
  const matrix = project.embeddings.matrix(set, 'image');
  const v = readRows(matrix, [ra.imageRow, rb.imageRow]);
  const dim = matrix.dim;
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < dim; i++) {
    dot += v[i] * v[dim + i];
    na += v[i] * v[i];
    nb += v[dim + i] * v[dim + i];
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : null;
}

/** A cosine function for a semantic group's run (null when the run named no model). */
export function semanticCosine(project: Project, runId: number | null): ((a: number, b: number) => number | null) | null {
  const model = runId === null ? null : project.runs.many([runId])[0]?.model ?? null;
  return model ? (a, b) => imageCosine(project, model, a, b) : null;
}

// An embedding set's image rows and where its semantic (ANN) index is saved, apart from the dedup job
// (semantic-job.ts) that builds on them: search reads both, and loads neither that job nor its schemas.
import path from 'node:path';
import type { Project } from '../project';
import { type EmbeddingSet, modelFolderName } from '../store/embeddings';
import type { RowSource } from './ann-index';

/** The dedup job's kind, for starting it without loading it. */
export const SEMDEDUP_JOB = 'curate.semdedup';

export function indexFile(project: Project, set: EmbeddingSet): string {
  return path.join(project.dir, 'embeddings', modelFolderName(set.model), 'image.usearch');
}

/** The committed image rows of a set as a RowSource (rows a killed embed run wrote past its checkpoint are left out). */
export function imageRows(project: Project, set: EmbeddingSet): RowSource & { close(): void } {
  const matrix = project.embeddings.matrix(set, 'image');
  const rows = Math.min(matrix.rows, project.embeddings.committedImageRows(set));
  return { dim: set.dim, rows, read: (row, count = 1) => matrix.read(row, count), close: () => matrix.close() };
}

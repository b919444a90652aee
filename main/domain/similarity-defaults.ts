// Defaults of the semantic near-duplicate job, shared by the engine, the CLI and the renderer (no imports,
// so the renderer bundle stays free of zod).

/** Why these values: main/engine/curate/semantic-job.ts and pixel-verify.ts. */
export const SEMANTIC_DEDUP_DEFAULTS = {
  /** Cosine threshold when pairs are not verified by pixels. */
  cosineThreshold: 0.996,
  /** Cosine threshold for candidates that pixel verification confirms or drops. */
  candidateThreshold: 0.9,
  /** Minimum pixel alignment score of a verified pair. */
  minAlignment: 0.8,
} as const;


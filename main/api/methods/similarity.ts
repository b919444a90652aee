// Similarity methods: semantic near-duplicates (job), text and image search, the embedding map.
// Imports only zod: contract.ts imports this file.
import { z } from 'zod';
import type { ItemT } from '../contract';
import { SelectionFilter } from '../../domain/curation';
import { tagName } from '../../domain/decisions';

const modelId = z.string().min(1).max(200);
const id = z.number().int().positive();
const k = z.number().int().min(1).max(1000);

export const SearchHit = z.object({ itemId: z.number().int(), score: z.number() });
/**
 * `more`: hits exist past this page (offset + k) above the cutoff. `method`: 'index' = approximate, from the saved
 * ANN index (used when an exact scan would be slow on this machine), 'exact' = the exact top k (every row scanned,
 * or the int8 copy's scan with its bound). `index`: the saved graph index against the embeddings as they are now (a
 * stale one is never used), or 'not-needed': the saved int8 copy's exact search, timed on this machine, answers
 * within the interactive budget, so no graph is built; `scanMs` is that timing (ms per query). `indexJobId`: the job
 * building or measuring them, when this search started or found one. `indexRecall`: the current index's measured
 * recall@10 vs exact (ann-recall.ts); the index answers only when it is ≥ MIN_INDEX_RECALL, absent until measured.
 */
export const SearchResult = z.object({
  model: z.string(), method: z.enum(['index', 'exact']), hits: z.array(SearchHit), more: z.boolean(),
  index: z.enum(['current', 'stale', 'missing', 'not-needed']), scanMs: z.number().optional(), indexJobId: z.number().int().optional(),
  indexRecall: z.number().optional(),
});

/** The rest of the current view a search runs inside (all AND-ed): source, rule list or selection, label, map region, tag. */
export const SearchWithin = z.object({
  sourceId: id.optional(),
  selection: SelectionFilter.optional(),
  label: z.string().min(1).max(200).optional(),
  region: z.array(id).min(1).max(200_000).optional(),
  tag: tagName.optional(),
}).strict();
/** Paging and cutoff shared by text and image search. */
/** `exact`: scan every row even where the ANN index would answer. */
const paging = { k: k.default(50), offset: z.number().int().min(0).max(100_000).default(0), minScore: z.number().min(-1).max(1).optional(), within: SearchWithin.optional(), exact: z.boolean().optional() };

export const MapPoints = z.object({
  model: z.string(),
  count: z.number().int(),
  /** base64 Int32Array (little-endian) of item ids. */
  ids: z.string(),
  /** base64 Float32Array of x, y per point. */
  xy: z.string(),
  explained: z.tuple([z.number(), z.number()]),
  colorBy: z.string().nullable(),
  /** base64 Float32Array of the signal value per point (NaN: none). */
  values: z.string().nullable(),
  /** base64 Int16Array index into categories per point (-1: none). */
  codes: z.string().nullable(),
  categories: z.array(z.string()),
});

export const similarityMethods = {
  'dedup.semantic.run': () => ({
    input: z.object({
      model: modelId.optional(),
      threshold: z.number().min(0.5).max(1).optional(),
      policy: z.enum(['pair', 'resolution', 'first']).optional(),
      method: z.enum(['graph', 'semdedup']).optional(),
      /** 'pixels': candidate pairs must align as copies (crop, resize, re-encode, brightness); 'none': cosine alone. */
      verify: z.enum(['pixels', 'none']).optional(),
      minAlignment: z.number().min(0).max(1).optional(),
      k: z.number().int().min(1).max(256).optional(),
    }).strict(),
    output: z.object({ jobId: z.number().int() }),
  }),
  'search.text': () => ({ input: z.object({ query: z.string().trim().min(1).max(1000), model: modelId.optional(), ...paging }).strict(), output: SearchResult }),
  'search.similar': () => ({ input: z.object({ itemId: id, model: modelId.optional(), ...paging }).strict(), output: SearchResult }),
  /** Items by id in the given order (a results page of the grid); unknown ids are left out. */
  'search.items': () => ({ input: z.object({ ids: z.array(id).max(1000) }).strict(), output: z.array(z.custom<ItemT>()) }),
  'map.get': () => ({
    input: z.object({ model: modelId.optional(), colorBy: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/).optional() }).strict(),
    output: MapPoints,
  }),
} as const;

export type SearchHitT = z.output<typeof SearchHit>;
export type SearchWithinT = z.output<typeof SearchWithin>;
export type MapPointsT = z.output<typeof MapPoints>;

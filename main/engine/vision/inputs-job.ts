// The import-time model-input pass (when asked: inputPassEnabled, input-pass.ts): right after an import, the project's small models (input ≤ 128 px, the
// built-in one) get each new image's resized and cropped pixels in the model-input cache (input-cache.ts),
// decoded from the original, so the first embed run (and detection, re-embedding) reads ~12 KB per image
// instead of decoding a full-size JPEG. The import itself only reads headers and hashes bytes; decoding
// there would slow every import by the decode's cost, so this runs as its own job queued behind it: items
// show as soon as they are imported, and the decode happens while the user looks at them.
import path from 'node:path';
import { z } from 'zod';
import { defineJob } from '../jobs/define-job';
import type { Project } from '../project';
import type { ActiveModel } from './active-model';
import { inputCacheEligible, isCachedInput } from './input-cache';
import { ITEM_SOURCE_COLUMNS, itemInputs, LOCAL_ITEMS, type ItemSourceRow } from './item-inputs';
import { preprocessorConfigSchema } from './model-config';
import { INPUTS_JOB } from './input-pass';
import { readJsonFile } from './model-folder';
import { preprocessSpecFromConfig, type PreprocessSpec } from './preprocess-spec';
import { PreprocessPool } from './preprocess-pool';

/** `afterItemId`: only items with larger ids (those an import adds), so importing a source again costs only its new files. */
export const InputsParams = z.object({ model: z.string().min(1), afterItemId: z.number().int().nonnegative().default(0) });
export type InputsParams = z.output<typeof InputsParams>;
const InputsCheckpoint = z.object({ lastItemId: z.number().int() });
/** Images whose entry is now in the cache (made or already there) and images that could not be decoded (the embed job reports those). */
const InputsResult = z.object({ model: z.string(), ready: z.number().int(), failed: z.number().int() });

const PAGE = 64;

/** A model's preprocessing, from its folder's preprocessor_config.json (no ONNX session is created). */
export async function modelInputSpec(dir: string): Promise<PreprocessSpec> {
  return preprocessSpecFromConfig(await readJsonFile(path.join(dir, 'preprocessor_config.json'), preprocessorConfigSchema));
}

/** Whether model `id` is installed and its inputs are cached (small enough, cache not turned off). */
export async function inputsCached(active: ActiveModel, id: string): Promise<boolean> {
  try {
    return inputCacheEligible(await modelInputSpec(await active.resolveDir(id)));
  } catch {
    return false; // not installed, or a folder without a fixed-size processor: nothing to prepare
  }
}

export function inputsJob(project: Project, active: ActiveModel) {
  return defineJob({
    kind: INPUTS_JOB,
    params: InputsParams, checkpoint: InputsCheckpoint, result: InputsResult,
    title: (p) => `Prepare ${p.model} inputs`,
    async run(ctx) {
      const { model } = ctx.params;
      const spec = await modelInputSpec(await active.resolveDir(model));
      if (!inputCacheEligible(spec)) return { model, ready: 0, failed: 0 };
      const after = ctx.params.afterItemId;
      ctx.setTotal((project.db.prepare(`SELECT count(*) n ${LOCAL_ITEMS} AND i.id > ?`).get(after) as { n: number }).n);
      let cursor = ctx.checkpoint?.lastItemId ?? after;
      let done = (project.db.prepare(`SELECT count(*) n ${LOCAL_ITEMS} AND i.id > ? AND i.id <= ?`).get(after, cursor) as { n: number }).n;
      const page = project.db.prepare(`SELECT ${ITEM_SOURCE_COLUMNS} ${LOCAL_ITEMS} AND i.id > ? ORDER BY i.id LIMIT ?`);
      // Nothing else runs beside this pass: every core decodes (preprocess-mode.ts, reserve 0).
      const pool = new PreprocessPool(spec, { reserve: 0 });
      const inputOf = itemInputs(project, spec, false);
      let ready = 0;
      let failed = 0;
      try {
        for (;;) {
          ctx.signal.throwIfAborted();
          const rows = page.all(cursor, PAGE) as ItemSourceRow[];
          if (rows.length === 0) break;
          const outcomes = await Promise.all(rows.map(async (row) => {
            try {
              // Always the original: an entry made here equals full decoding bit for bit, so detection may read it.
              // A fresh entry made from the original is kept (the worker reads it instead of decoding).
              const input = await inputOf(row);
              return isCachedInput(input) && (await pool.prepareInput(input)).ok;
            } catch {
              return false; // a missing file: the embed job records it
            }
          }));
          ctx.signal.throwIfAborted();
          ready += outcomes.filter(Boolean).length;
          failed += outcomes.filter((ok) => !ok).length;
          cursor = rows.at(-1)!.id;
          done += rows.length;
          ctx.commit(() => undefined, done, { lastItemId: cursor });
        }
      } finally {
        await pool.close();
      }
      return { model, ready, failed };
    },
  });
}

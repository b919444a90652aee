// What an adaptation starts from: the latest single-label run's classes, prompt templates and model,
// unless the caller names them.
import { ApiError } from '../../domain/errors';
import type { Db } from '../store/database';
import { type ClassSpec, DEFAULT_TEMPLATES } from '../curate/zero-shot';
import type { AdaptParams } from './adapt-job';

interface StoredConfig { run: string; model: string; classes: ClassSpec[]; templates: string[]; k: number; threshold: number }

/** The configuration of the newest single-label run (zero-shot or adapted), or null. */
export function latestSingleLabelConfig(db: Db): StoredConfig | null {
  const config = db.prepare(`SELECT json_extract(params, '$.config') FROM annotations WHERE kind = 'label' AND json_extract(params, '$.run') IN ('zero-shot', 'adapted') ORDER BY id DESC LIMIT 1`).pluck().get() as string | undefined;
  if (!config) return null;
  const raw = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(`label.config.${config}`) as string | undefined;
  return raw ? (JSON.parse(raw) as StoredConfig) : null;
}

export function resolveAdaptParams(db: Db, given: Partial<Omit<AdaptParams, 'head'>> & { head?: string }): AdaptParams {
  const latest = latestSingleLabelConfig(db);
  const classes = given.classes ?? latest?.classes;
  if (!classes?.length && !given.head) throw new ApiError('conflict', 'nothing to adapt yet: run zero-shot labels (winnow label --classes ...) and review some of them first');
  return {
    model: given.model ?? latest?.model ?? 'winnow-clip-mini',
    classes: classes ?? [],
    templates: given.templates ?? (latest?.templates?.length ? latest.templates : [...DEFAULT_TEMPLATES]),
    k: given.k ?? latest?.k ?? 3,
    threshold: given.threshold ?? latest?.threshold ?? 0.3,
    ...(given.head && { head: given.head }),
  };
}

// A project's model settings: the chosen model per task (model_choices) and its overrides of models'
// calibration values (calibration_overrides, JSON values). Resolution against the registry: vision/task-models.ts.
import type { CalibrationKey, CalibrationValue, TaskSlot } from '../../domain/model-tasks';
import type { Db } from './database';

export class ModelSettingsStore {
  constructor(private readonly db: Db) {}

  /** A project opened read-only is not migrated: before migration 15 it has no settings (defaults apply). */
  private get present(): boolean {
    return this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'model_choices'`).pluck().get() === 1;
  }

  /** Task → model id, for the tasks the project has chosen a model for. */
  choices(): Partial<Record<TaskSlot, string>> {
    if (!this.present) return {};
    const rows = this.db.prepare('SELECT task, model FROM model_choices').all() as { task: TaskSlot; model: string }[];
    return Object.fromEntries(rows.map((r) => [r.task, r.model]));
  }

  choice(task: TaskSlot): string | undefined {
    if (!this.present) return undefined;
    return (this.db.prepare('SELECT model FROM model_choices WHERE task = ?').pluck().get(task) as string | undefined) ?? undefined;
  }

  /** Chooses `model` for `task`; null forgets the choice (the default applies again). */
  choose(task: TaskSlot, model: string | null): void {
    if (model === null) this.db.prepare('DELETE FROM model_choices WHERE task = ?').run(task);
    else this.db.prepare(`INSERT INTO model_choices (task, model) VALUES (?, ?)
      ON CONFLICT (task) DO UPDATE SET model = excluded.model, chosen_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`).run(task, model);
  }

  overrides(model: string): Partial<Record<CalibrationKey, CalibrationValue>> {
    if (!this.present) return {};
    const rows = this.db.prepare('SELECT key, value FROM calibration_overrides WHERE model = ?').all(model) as { key: CalibrationKey; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as CalibrationValue]));
  }

  setOverride(model: string, key: CalibrationKey, value: CalibrationValue): void {
    this.db.prepare(`INSERT INTO calibration_overrides (model, key, value) VALUES (?, ?, ?)
      ON CONFLICT (model, key) DO UPDATE SET value = excluded.value, set_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`).run(model, key, JSON.stringify(value));
  }

  /** Drops the given overrides of `model` (all of them without keys). */
  reset(model: string, keys?: readonly CalibrationKey[]): void {
    if (!keys) this.db.prepare('DELETE FROM calibration_overrides WHERE model = ?').run(model);
    else for (const key of keys) this.db.prepare('DELETE FROM calibration_overrides WHERE model = ? AND key = ?').run(model, key);
  }
}

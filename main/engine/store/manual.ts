// Decisions by hand (migration 17): manual keep/exclude per item and tags, each with who and when.
// A manual decision overrides every rule (curate/rules.ts reads MANUAL_KEPT / MANUAL_EXCLUDED).
import os from 'node:os';
import type { ManualDecisionT } from '../../domain/decisions';
import type { Db } from './database';

export const MANUAL_KEPT = `SELECT item_id FROM manual_decisions WHERE decision = 'keep'`;
export const MANUAL_EXCLUDED = `SELECT item_id FROM manual_decisions WHERE decision = 'exclude'`;

/** The OS user and host of this process: what "who" means for a decision made on this machine. */
export function osUser(): string {
  let name: string;
  try {
    name = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the environment is the next best witness.
    name = process.env.USER ?? process.env.USERNAME ?? `uid ${process.getuid?.() ?? '?'}`;
  }
  return `${name}@${os.hostname()}`;
}

const CHUNK = 900; // below SQLite's default host-parameter limit

function chunks<T>(values: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += CHUNK) out.push(values.slice(i, i + CHUNK));
  return out;
}

export class ManualStore {
  constructor(private readonly db: Db) {}

  /** Records (or with null clears) the decision on these items; returns how many rows changed. Call inside a transaction for atomicity. */
  decide(ids: readonly number[], decision: 'keep' | 'exclude' | null, by: string, via: string): number {
    let changed = 0;
    const set = this.db.prepare(
      `INSERT INTO manual_decisions (item_id, decision, decided_by, via) SELECT id, ?, ?, ? FROM items WHERE id = ?
       ON CONFLICT (item_id) DO UPDATE SET decision = excluded.decision, decided_by = excluded.decided_by, via = excluded.via, decided_at = excluded.decided_at`,
    );
    const clear = this.db.prepare('DELETE FROM manual_decisions WHERE item_id = ?');
    for (const id of ids) changed += (decision === null ? clear.run(id) : set.run(decision, by, via, id)).changes;
    return changed;
  }

  tag(ids: readonly number[], tag: string, by: string): number {
    const add = this.db.prepare('INSERT OR IGNORE INTO item_tags (item_id, tag, tagged_by) SELECT id, ?, ? FROM items WHERE id = ?');
    let n = 0;
    for (const id of ids) n += add.run(tag, by, id).changes;
    return n;
  }

  untag(ids: readonly number[], tag: string): number {
    const del = this.db.prepare('DELETE FROM item_tags WHERE item_id = ? AND tag = ?');
    let n = 0;
    for (const id of ids) n += del.run(id, tag).changes;
    return n;
  }

  /** Every tag with how many items carry it. */
  tags(): { tag: string; count: number }[] {
    return this.db.prepare('SELECT tag, count(*) count FROM item_tags GROUP BY tag ORDER BY tag').all() as { tag: string; count: number }[];
  }

  decisionsFor(ids: readonly number[]): Map<number, ManualDecisionT> {
    const out = new Map<number, ManualDecisionT>();
    for (const part of chunks(ids)) {
      const rows = this.db.prepare(`SELECT item_id id, decision, decided_by by, via, decided_at at FROM manual_decisions WHERE item_id IN (${part.map(() => '?').join(',')})`)
        .all(...part) as (ManualDecisionT & { id: number })[];
      for (const { id, ...d } of rows) out.set(id, d);
    }
    return out;
  }

  tagsFor(ids: readonly number[]): Map<number, { tag: string; by: string; at: string }[]> {
    const out = new Map<number, { tag: string; by: string; at: string }[]>();
    for (const part of chunks(ids)) {
      const rows = this.db.prepare(`SELECT item_id id, tag, tagged_by by, tagged_at at FROM item_tags WHERE item_id IN (${part.map(() => '?').join(',')}) ORDER BY tag`)
        .all(...part) as { id: number; tag: string; by: string; at: string }[];
      for (const { id, ...t } of rows) out.set(id, [...(out.get(id) ?? []), t]);
    }
    return out;
  }

  counts(): { kept: number; excluded: number } {
    const row = this.db.prepare(`SELECT coalesce(sum(decision = 'keep'), 0) kept, coalesce(sum(decision = 'exclude'), 0) excluded FROM manual_decisions`).get() as { kept: number; excluded: number };
    return row;
  }
}

/** SQL over alias `i`: items carrying the tag (the literal is escaped; tags are validated by the contract). */
export function tagPredicate(tag: string): string {
  return `i.id IN (SELECT item_id FROM item_tags WHERE tag = '${tag.replace(/'/g, "''")}')`;
}

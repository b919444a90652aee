// The verification phase of semantic dedup, resumable: the candidate pairs the search found are kept in
// a file next to the project's database (written once, atomically), and the job's checkpoint says how
// many of them are verified and which held up, so a killed run continues at the next unverified pair.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Project } from '../project';
import { tick } from './ann-index';
import { fingerprintItems } from './fingerprint-file';
import { alignmentScore } from './pixel-verify';
import { type CandidatePair, UnionFind } from './semantic-dedup';

/** Where verification stands: pairs [0, verifiedUpTo) are judged; `kept` lists those that held up. */
export interface VerifyState {
  verifiedUpTo: number;
  kept: number[];
  verified: number;
  rejected: number;
  unverifiable: number;
}

/** Pairs judged between two checkpoints. */
export const VERIFY_BATCH = 64;

export function candidatesFile(project: Project, jobId: number): string {
  return path.join(project.dir, 'jobs', `semdedup-${jobId}.candidates.f64`);
}

/** Candidate pairs as (a, b, cos) triples of float64 (row numbers are exact in a double); returns the triples. */
export function saveCandidates(file: string, candidates: CandidatePair[]): Float64Array {
  const data = new Float64Array(candidates.length * 3);
  candidates.forEach((c, i) => data.set([c.a, c.b, c.cos], i * 3));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, data);
  renameSync(`${file}.tmp`, file);
  return data;
}

/** The stored candidates, or null when the file is gone or does not hold `count` pairs. */
export function loadCandidates(file: string, count: number): Float64Array | null {
  if (!existsSync(file)) return null;
  const bytes = readFileSync(file);
  if (bytes.length !== count * 24) return null;
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

export function removeCandidates(file: string): void {
  rmSync(file, { force: true });
}

/**
 * Judges candidate pairs from `state.verifiedUpTo` on: kept when the two images align as copies; pairs
 * where either image cannot be decoded (remote, missing) are judged by the cosine alone (`fallbackCos`).
 * `checkpoint` is called every VERIFY_BATCH pairs with the state to commit.
 */
export async function verifyCandidates(project: Project, items: Int32Array, pairs: Float64Array, state: VerifyState,
  options: { minAlignment: number; fallbackCos: number; signal: AbortSignal; checkpoint: (state: VerifyState) => void }): Promise<VerifyState> {
  const count = pairs.length / 3;
  const ids = new Set<number>();
  for (let i = state.verifiedUpTo; i < count; i++) for (const row of [pairs[i * 3], pairs[i * 3 + 1]]) if (items[row] > 0) ids.add(items[row]);
  const prints = await fingerprintItems(project, [...ids], 3, options.signal);
  const next = { ...state, kept: [...state.kept] };
  for (let i = state.verifiedUpTo; i < count; i++) {
    options.signal.throwIfAborted();
    const fa = prints.get(items[pairs[i * 3]]);
    const fb = prints.get(items[pairs[i * 3 + 1]]);
    let keep: boolean;
    if (fa && fb) {
      keep = alignmentScore(fa, fb) >= options.minAlignment;
      if (keep) next.verified++;
      else next.rejected++;
    } else {
      next.unverifiable++;
      keep = pairs[i * 3 + 2] >= options.fallbackCos;
    }
    if (keep) next.kept.push(i);
    next.verifiedUpTo = i + 1;
    if (next.verifiedUpTo % VERIFY_BATCH === 0 && next.verifiedUpTo < count) {
      options.checkpoint(next);
      await tick();
    }
  }
  return next;
}

/** Joins the kept pairs into groups of rows. */
export function keptGroups(rows: number, pairs: Float64Array, kept: number[]): UnionFind {
  const uf = new UnionFind(rows);
  for (const i of kept) uf.union(pairs[i * 3], pairs[i * 3 + 1]);
  return uf;
}

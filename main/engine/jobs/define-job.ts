// One declaration per job kind: zod schemas for what a job is started with (params), where it stands
// (checkpoint) and what it hands back (result), its title and its run. The runner only ever sees the
// erased `RegisteredJob` face, which parses raw (stored or caller) JSON before any typed code runs.
import type { JobWrites } from '../../domain/events';
import { stringify } from 'safe-stable-stringify';
import { z } from 'zod';
import type { NewIssue } from '../store/issues';

/** What a running job may do. Progress and checkpoints are kept apart: only `commit` is durable. */
export interface JobContext<P, C> {
  readonly jobId: number;
  readonly params: P;
  /** Where the previous run stopped, or null on a first run. */
  readonly checkpoint: C | null;
  readonly signal: AbortSignal;
  setTotal(total: number | null): void;
  /** Reports how far the job is (done/total, rate, ETA; emitted throttled) without a durable resume point. */
  progress(done: number): void;
  /** Applies a batch's writes and its resume point atomically: a kill never loses or repeats a batch. */
  commit<T>(writes: () => T, done: number, checkpoint: C): T;
  issue(issue: NewIssue): void;
}

export interface JobSpec<P, C, R> {
  readonly kind: string;
  /** The data this kind writes; each batch commit (and the job's end) announces it as `<domain>.changed`. */
  readonly writes?: readonly JobWrites[];
  readonly params: z.ZodType<P>;
  readonly checkpoint: z.ZodType<C>;
  readonly result: z.ZodType<R>;
  title(params: P): string;
  run(ctx: JobContext<P, C>): Promise<R>;
}

/** The runner's side of a job context: the same calls with the kind's types erased. */
export type JobHost = Omit<JobContext<unknown, unknown>, 'params' | 'checkpoint'>;

/** A stored row or a caller's input that no longer fits the kind's schema. */
export class JobInputError extends Error {}

/** Params parsed against the kind's schema, ready to be stored and run. */
export interface PreparedJob {
  readonly title: string;
  /** Stable JSON of the parsed params: identical jobs have identical keys. */
  readonly key: string;
  /** Runs the job from a stored checkpoint (null: from the start); resolves to the result as stored JSON. */
  run(host: JobHost, storedCheckpoint: string | null): Promise<string>;
}

export interface RegisteredJob {
  readonly kind: string;
  readonly writes?: readonly JobWrites[];
  /** Parses params; throws JobInputError with the reason when they do not fit. */
  prepare(rawParams: unknown): PreparedJob;
}

export interface JobKind<P, C, R> extends JobSpec<P, C, R>, RegisteredJob {
  /** Parses a stored result (from `jobs.result`) into the kind's result type. */
  parseResult(stored: string): R;
}

/** Stable JSON: object keys sorted, so `{a, b}` and `{b, a}` are the same job. */
export function canonicalJson(value: unknown): string {
  return stringify(value) ?? 'null';
}

function reason(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

function parseJson(text: string, what: string, kind: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new JobInputError(`${kind}: the stored ${what} is not JSON`);
  }
}

/** Declares a job kind once: the runner parses its params on start and resume, its checkpoint on resume, its result when done. */
export function defineJob<P, C, R>(spec: JobSpec<P, C, R>): JobKind<P, C, R> {
  const parse = <T>(schema: z.ZodType<T>, raw: unknown, what: string): T => {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new JobInputError(`${spec.kind}: invalid ${what} (${reason(parsed.error)})`);
    return parsed.data;
  };
  return {
    ...spec,
    parseResult: (stored) => parse(spec.result, parseJson(stored, 'result', spec.kind), 'stored result'),
    prepare(rawParams) {
      const params = parse(spec.params, rawParams, 'params');
      return {
        title: spec.title(params),
        key: canonicalJson(params),
        async run(host, storedCheckpoint) {
          const checkpoint = storedCheckpoint === null ? null : parse(spec.checkpoint, parseJson(storedCheckpoint, 'checkpoint', spec.kind), 'stored checkpoint');
          const ctx: JobContext<P, C> = { ...host, params, checkpoint };
          const result = await spec.run(ctx);
          return canonicalJson(parse(spec.result, result, 'result'));
        },
      };
    },
  };
}

// models.lock.json: the sha256, size and revision of every file Winnow downloaded, recorded at first download (trust on first
// use, made visible) and checked on every later download and every load.
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { sha256File } from './sha256';

export const MODEL_LOCK_FILE = 'models.lock.json';

const lockedFile = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  /** How the hash was known when it was first recorded: pinned in the registry, announced by the server, or only computed here. */
  firstVerifiedBy: z.enum(['registry', 'etag', 'unverified', 'lock']),
  recordedAt: z.string(),
});
const lockedModel = z.object({ repo: z.string(), revision: z.string(), files: z.record(z.string(), lockedFile) });
const lockSchema = z.object({ version: z.literal(1), models: z.record(z.string(), lockedModel) });

export type LockedFile = z.infer<typeof lockedFile>;
type Lock = z.infer<typeof lockSchema>;

/** A revision that names one commit, not a branch that can move. */
export function isPinnedRevision(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

export class ModelLockError extends Error {
  override name = 'ModelLockError';
}

// One hash per file version per process: a model loaded again in the same run is not re-read.
const hashes = new Map<string, string>();
async function cachedSha256(file: string, size: number, mtimeMs: number): Promise<string> {
  const key = `${file}\0${size}\0${mtimeMs}`;
  let hash = hashes.get(key);
  if (!hash) hashes.set(key, (hash = await sha256File(file)));
  return hash;
}

export class ModelLock {
  readonly file: string;

  constructor(modelsDir: string) {
    this.file = path.join(modelsDir, MODEL_LOCK_FILE);
  }

  private async read(): Promise<Lock> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return { version: 1, models: {} };
    }
    const parsed = lockSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new ModelLockError(`${MODEL_LOCK_FILE} is not a valid lock file; fix or delete it to trust the next download again`);
    return parsed.data;
  }

  /** The hash recorded for `file` of `id` at this repo and revision; a different revision starts a new record. */
  async expected(id: string, repo: string, revision: string, file: string): Promise<LockedFile | undefined> {
    const model = (await this.read()).models[id];
    return model && model.repo === repo && model.revision === revision ? model.files[file] : undefined;
  }

  async record(id: string, repo: string, revision: string, files: { path: string; sha256: string; bytes: number; verification: LockedFile['firstVerifiedBy'] }[]): Promise<void> {
    const lock = await this.read();
    const previous = lock.models[id];
    const kept = previous && previous.repo === repo && previous.revision === revision ? previous.files : {};
    const now = new Date().toISOString();
    const entries = Object.fromEntries(files.map((f) => [f.path, kept[f.path] ?? { sha256: f.sha256, bytes: f.bytes, firstVerifiedBy: f.verification, recordedAt: now }]));
    lock.models[id] = { repo, revision, files: { ...kept, ...entries } };
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(lock, null, 2)}\n`);
    await rename(tmp, this.file);
  }

  /**
   * Checks an installed model against its lock record before it is loaded: every recorded file must be present with its
   * recorded size and sha256. Returns how many files were checked (0 when the model has no record, e.g. an imported one).
   */
  async verifyFolder(id: string, folder: string): Promise<number> {
    const model = (await this.read()).models[id];
    if (!model) return 0;
    let checked = 0;
    for (const [file, locked] of Object.entries(model.files)) {
      const full = path.join(folder, file);
      const info = await stat(full).catch(() => null);
      if (!info) continue; // a dtype that is not installed
      if (info.size !== locked.bytes || (await cachedSha256(full, info.size, info.mtimeMs)) !== locked.sha256) {
        throw new ModelLockError(`${id}/${file} does not match ${MODEL_LOCK_FILE} (recorded ${locked.recordedAt}); it changed since it was downloaded — pull the model again or remove it`);
      }
      checked++;
    }
    return checked;
  }
}

// Shared-filesystem backend (NFS, Lustre, a local disk for one machine): a commit is a rename of the staged
// folder onto its final name, atomic on POSIX; the rename fails when another attempt already put a
// (never empty) folder there, and that attempt's copy wins.
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ShardStorage } from './storage';

export class FsStorage implements ShardStorage {
  readonly root: string;

  constructor(readonly location: string) {
    this.root = path.resolve(location);
  }

  async stagingRoot(): Promise<string> {
    const dir = path.join(this.root, '.staging');
    await mkdir(dir, { recursive: true });
    return dir;
  }

  private at(name: string): string {
    const full = path.resolve(this.root, name);
    if (!full.startsWith(this.root + path.sep)) throw new Error(`storage name ${name} leaves ${this.root}`);
    return full;
  }

  async commit(name: string, localDir: string): Promise<boolean> {
    const target = this.at(name);
    await mkdir(path.dirname(target), { recursive: true });
    // Staged elsewhere (another filesystem): copy next to the target first so the final step is still a rename.
    let staged = localDir;
    if (path.dirname(localDir) !== path.join(this.root, '.staging')) {
      staged = path.join(await this.stagingRoot(), randomUUID());
      const { cp } = await import('node:fs/promises');
      await cp(localDir, staged, { recursive: true });
      await rm(localDir, { recursive: true, force: true });
    }
    try {
      await rename(staged, target);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      await rm(staged, { recursive: true, force: true });
      return false;
    }
  }

  async committed(name: string): Promise<boolean> {
    return stat(this.at(name)).then((s) => s.isDirectory(), () => false);
  }

  async list(prefix: string): Promise<string[]> {
    const dir = this.at(prefix);
    const names = await readdir(dir).catch(() => [] as string[]);
    return names.filter((n) => !n.startsWith('.')).sort().map((n) => path.posix.join(prefix, n));
  }

  async open(name: string): Promise<string> {
    if (!(await this.committed(name))) throw new Error(`${name} is not committed in ${this.root}`);
    return this.at(name);
  }

  async openFile(name: string, file: string): Promise<string> {
    return path.join(await this.open(name), file);
  }

  async writeJson(name: string, value: unknown): Promise<void> {
    const file = this.at(name);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify(value, null, 2));
    await rename(tmp, file);
  }

  async readJson<T>(name: string): Promise<T | null> {
    return readFile(this.at(name), 'utf8').then((s) => JSON.parse(s) as T, () => null);
  }

  async remove(name: string): Promise<void> {
    await rm(this.at(name), { recursive: true, force: true });
  }
}

import { randomBytes } from 'node:crypto';
import { cp, lstat, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { downloadFile, hubFileUrl, type DownloadedFile, type DownloadProgress } from './download';
import { availableDtypes } from './model-folder';
import {
  DEFAULT_REGISTRY_PATH,
  REPO_MODELS_DIR,
  dtypesOf,
  filesFor,
  isBuiltin,
  loadRegistry,
  type HubRegistryEntry,
  type RegistryEntry,
  type ModelTask,
  type Registry,
} from './model-registry';
import { isPinnedRevision, ModelLock } from './model-lock';
import { type FolderTask, validateModelFolder, type ValidationReport } from './model-validate';

type Env = Record<string, string | undefined>;

export interface ModelManagerOptions {
  /** Where downloaded and imported models live (the app passes ~/.winnow/models or WINNOW_MODELS_DIR). */
  modelsDir: string;
  registryPath?: string;
  /** Folder holding the built-in model folders; the repository's models/ by default. */
  builtinRoot?: string;
  /** Hub endpoint; HF_ENDPOINT, then huggingface.co, when absent. */
  endpoint?: string;
  /** Environment for proxy and token lookup; process.env by default. */
  env?: Env;
  retries?: number;
  retryDelayMs?: number;
  /** Refuse files the registry does not pin (commit revision + sha256); default: WINNOW_REQUIRE_PINNED=1 in env. */
  requirePinned?: boolean;
}

export interface ModelListing {
  id: string;
  name: string;
  task: FolderTask;
  licence?: string;
  builtin: boolean;
  installed: boolean;
  /** Folder of the installed model. */
  path?: string;
  repo?: string;
  /** Dtypes the registry offers, with approximate download sizes. */
  offered: { dtype: string; approxBytes: number }[];
  /** Dtypes whose vision graph is present on disk (dual encoders). */
  installedDtypes: string[];
}

export interface PullProgress extends DownloadProgress {
  /** Position of this file in the pull, and the number of files. */
  fileIndex: number;
  fileCount: number;
}

export interface PullOptions {
  dtype?: string;
  signal?: AbortSignal;
  onProgress?: (progress: PullProgress) => void;
}

export interface PullResult {
  id: string;
  path: string;
  dtype: string;
  files: DownloadedFile[];
  report: ValidationReport;
}

/** Written into each installed folder: where it came from and how every file was verified. */
export const INSTALL_RECORD = 'winnow-model.json';

interface InstallRecord {
  id: string;
  name?: string;
  task: FolderTask;
  source: { repo: string; revision: string } | { importedFrom: string };
  dtypes: string[];
  installedAt: string;
  files?: { path: string; sha256: string; verification: string }[];
}

export class ModelManager {
  private readonly modelsDir: string;
  private readonly builtinRoot: string;
  private readonly env: Env;
  private registry: Promise<Registry> | undefined;
  private readonly pulling = new Map<string, Promise<PullResult>>();
  readonly lock: ModelLock;

  constructor(private readonly options: ModelManagerOptions) {
    this.modelsDir = path.resolve(options.modelsDir);
    this.lock = new ModelLock(this.modelsDir);
    this.builtinRoot = options.builtinRoot ?? REPO_MODELS_DIR;
    this.env = options.env ?? process.env;
  }

  private loadRegistry(): Promise<Registry> {
    this.registry ??= loadRegistry(this.options.registryPath ?? DEFAULT_REGISTRY_PATH);
    return this.registry;
  }

  private installedPath(id: string): string {
    return path.join(this.modelsDir, id);
  }

  private async isFolder(folder: string): Promise<boolean> {
    return stat(folder).then((s) => s.isDirectory(), () => false);
  }

  private async readRecord(folder: string): Promise<InstallRecord | undefined> {
    return readFile(path.join(folder, INSTALL_RECORD), 'utf8').then((text) => JSON.parse(text) as InstallRecord, () => undefined);
  }

  /** A model's registry entry, or undefined for imported models the registry does not know. */
  async registryEntry(id: string): Promise<RegistryEntry | undefined> {
    return (await this.loadRegistry()).models.find((model) => model.id === id);
  }

  /** Built-in, registry and imported models, each with whether and where it is installed. */
  async list(): Promise<ModelListing[]> {
    const registry = await this.loadRegistry();
    const listings: ModelListing[] = [];
    const known = new Set<string>();
    for (const entry of registry.models) {
      known.add(entry.id);
      const folder = isBuiltin(entry) ? path.join(this.builtinRoot, entry.folder) : this.installedPath(entry.id);
      const installed = await this.isFolder(folder);
      listings.push({
        id: entry.id,
        name: entry.name,
        task: entry.task,
        licence: entry.licence,
        builtin: isBuiltin(entry),
        installed,
        path: installed ? folder : undefined,
        repo: isBuiltin(entry) ? undefined : entry.repo,
        offered: isBuiltin(entry)
          ? []
          : dtypesOf(entry).map((dtype) => ({ dtype, approxBytes: filesFor(entry, dtype).reduce((sum, file) => sum + (file.approxBytes ?? 0), 0) })),
        installedDtypes: installed ? await availableDtypes(folder, 'vision_model') : [],
      });
    }
    // Imported models are folders with an install record that the registry does not know.
    const names = await readdir(this.modelsDir).catch(() => [] as string[]);
    for (const name of names.sort()) {
      if (name.startsWith('.') || known.has(name)) continue;
      const folder = this.installedPath(name);
      const record = await this.readRecord(folder);
      if (!record) continue;
      listings.push({
        id: name,
        name: record.name ?? name,
        task: record.task,
        builtin: false,
        installed: true,
        path: folder,
        offered: [],
        installedDtypes: await availableDtypes(folder, 'vision_model'),
      });
    }
    return listings;
  }

  /** The folder to load for `id`, or an error saying how to get it. */
  async resolve(id: string): Promise<string> {
    const found = await this.locate(id);
    if (!found) throw new Error(`unknown model '${id}'`);
    if (!found.path) throw new Error(`model '${id}' is not installed; pull it first`);
    if (!found.builtin) await this.lock.verifyFolder(id, found.path);
    return found.path;
  }

  /**
   * What list() says of `id`, looking only at that model's folder: a one-shot command resolves a model
   * without paying a file check for every other model, and a broken folder of another model cannot affect it.
   */
  private async locate(id: string): Promise<{ builtin: boolean; path?: string } | undefined> {
    const entry = await this.registryEntry(id);
    if (entry) {
      const folder = isBuiltin(entry) ? path.join(this.builtinRoot, entry.folder) : this.installedPath(entry.id);
      return { builtin: isBuiltin(entry), path: (await this.isFolder(folder)) ? folder : undefined };
    }
    // Imported: exactly a listed name of the models folder (never a path) with an install record, as list() finds them.
    if (id.startsWith('.')) return undefined;
    const names = await readdir(this.modelsDir).catch(() => [] as string[]);
    if (!names.includes(id)) return undefined;
    const folder = this.installedPath(id);
    return (await this.readRecord(folder)) ? { builtin: false, path: folder } : undefined;
  }

  validate(folder: string, options: { task?: ModelTask; dtype?: string } = {}): Promise<ValidationReport> {
    return validateModelFolder(path.resolve(folder), options);
  }

  /** The files a pull of `id` (at `dtype`, else its default) would fetch, with approximate sizes. */
  async plannedFiles(id: string, dtype?: string): Promise<{ dtype: string; files: { path: string; approxBytes: number }[] }> {
    const registry = await this.loadRegistry();
    const entry = registry.models.find((model) => model.id === id);
    if (!entry) throw new Error(`unknown model '${id}'; known: ${registry.models.map((model) => model.id).join(', ')}`);
    if (isBuiltin(entry)) throw new Error(`'${id}' is built in and needs no download`);
    const chosen = dtype ?? entry.defaultDtype;
    return { dtype: chosen, files: filesFor(entry, chosen).map((file) => ({ path: file.path, approxBytes: file.approxBytes ?? 0 })) };
  }

  /** Downloads one dtype of a registry model, verifies and validates it, then installs it. */
  pull(id: string, options: PullOptions = {}): Promise<PullResult> {
    const running = this.pulling.get(id);
    if (running) return running;
    const pull = this.pullOnce(id, options).finally(() => this.pulling.delete(id));
    this.pulling.set(id, pull);
    return pull;
  }

  private async pullOnce(id: string, options: PullOptions): Promise<PullResult> {
    const registry = await this.loadRegistry();
    const entry = registry.models.find((model) => model.id === id);
    if (!entry) throw new Error(`unknown model '${id}'; known: ${registry.models.map((model) => model.id).join(', ')}`);
    if (isBuiltin(entry)) throw new Error(`'${id}' is built in and needs no download`);
    const dtype = options.dtype ?? entry.defaultDtype;
    const files = filesFor(entry, dtype);
    // Partial downloads persist here between runs, so a cancelled or crashed pull resumes.
    const staging = path.join(this.modelsDir, '.partial', id);
    const downloaded: DownloadedFile[] = [];
    if (this.options.requirePinned ?? this.env.WINNOW_REQUIRE_PINNED === '1') {
      const unpinned = files.filter((file) => !file.sha256).map((file) => file.path);
      if (!isPinnedRevision(entry.revision) || unpinned.length) {
        throw new Error(`refusing to pull ${id}: unpinned files are not allowed (revision ${entry.revision}${isPinnedRevision(entry.revision) ? '' : ' is not a commit sha'}${unpinned.length ? `; no sha256 in the registry for ${unpinned.join(', ')}` : ''})`);
      }
    }
    if (this.env.HF_TOKEN && new URL(hubFileUrl(entry.repo, entry.revision, 'x', this.env, this.options.endpoint)).protocol !== 'https:') {
      throw new Error('HF_TOKEN is set but the hub endpoint is not https: refusing to send the token unencrypted (use an https endpoint or unset HF_TOKEN)');
    }
    const headers: Record<string, string> = this.env.HF_TOKEN ? { authorization: `Bearer ${this.env.HF_TOKEN}` } : {};
    for (const [fileIndex, file] of files.entries()) {
      const destination = path.join(staging, file.path);
      await mkdir(path.dirname(destination), { recursive: true });
      const locked = file.sha256 ? undefined : await this.lock.expected(id, entry.repo, entry.revision, file.path);
      downloaded.push(
        await downloadFile({
          url: hubFileUrl(entry.repo, entry.revision, file.path, this.env, this.options.endpoint),
          destination,
          label: file.path,
          expectedSha256: file.sha256 ?? locked?.sha256 ?? null,
          expectedFrom: file.sha256 ? 'registry' : 'lock',
          signal: options.signal,
          onProgress: options.onProgress && ((progress) => options.onProgress!({ ...progress, fileIndex, fileCount: files.length })),
          retries: this.options.retries,
          retryDelayMs: this.options.retryDelayMs,
          env: this.env,
          headers,
        }),
      );
    }
    options.signal?.throwIfAborted();
    const report = await validateModelFolder(staging, { task: entry.task, dtype });
    if (!report.ok) {
      // Files that verified but do not form a working model will not improve on retry.
      await rm(staging, { recursive: true, force: true });
      throw new Error(`downloaded ${id} (${dtype}) failed validation: ${report.problems.join('; ')}`);
    }
    const target = this.installedPath(id);
    const previous = await this.readRecord(target);
    await this.writeRecord(staging, entry, dtype, downloaded, previous);
    await this.install(staging, target, files.map((file) => file.path));
    const installed = downloaded.map((file) => ({ ...file, path: path.join(target, path.relative(staging, file.path)) }));
    await this.lock.record(id, entry.repo, entry.revision, downloaded.map((file) => ({
      path: path.relative(staging, file.path).split(path.sep).join('/'), sha256: file.sha256, bytes: file.bytes, verification: file.verification,
    })));
    return { id, path: target, dtype, files: installed, report: { ...report, folder: target } };
  }

  private async writeRecord(folder: string, entry: HubRegistryEntry, dtype: string, files: DownloadedFile[], previous: InstallRecord | undefined): Promise<void> {
    const record: InstallRecord = {
      id: entry.id,
      name: entry.name,
      task: entry.task,
      source: { repo: entry.repo, revision: entry.revision },
      dtypes: [...new Set([...(previous?.dtypes ?? []), dtype])],
      installedAt: new Date().toISOString(),
      files: [
        ...(previous?.files ?? []).filter((old) => !files.some((file) => path.relative(folder, file.path) === old.path)),
        ...files.map((file) => ({ path: path.relative(folder, file.path).split(path.sep).join('/'), sha256: file.sha256, verification: file.verification })),
      ],
    };
    await writeFile(path.join(folder, INSTALL_RECORD), `${JSON.stringify(record, null, 2)}\n`);
  }

  /**
   * A new model moves into place with one rename; adding a dtype to an installed model moves each
   * file with its own rename, so the installed folder is never missing a file it had.
   */
  private async install(staging: string, target: string, files: string[]): Promise<void> {
    if (!(await this.isFolder(target))) {
      // Leftovers of an interrupted pull of another dtype must not ride along into the install.
      const entries = await readdir(staging, { recursive: true });
      await Promise.all(entries.filter((entry) => entry.endsWith('.part')).map((entry) => rm(path.join(staging, entry), { force: true })));
      await rename(staging, target);
      return;
    }
    for (const file of [...files, INSTALL_RECORD]) {
      await mkdir(path.dirname(path.join(target, file)), { recursive: true });
      await rename(path.join(staging, file), path.join(target, file));
    }
    await rm(staging, { recursive: true, force: true });
  }

  /** Copies a local model folder in, validates the copy, and installs it under `id`. */
  async import(folder: string, options: { id?: string; task?: ModelTask; replace?: boolean } = {}): Promise<{ id: string; path: string; report: ValidationReport }> {
    const source = path.resolve(folder);
    const id = options.id ?? path.basename(source).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '');
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(id)) throw new Error(`cannot derive a model id from ${folder}; pass one`);
    const registry = await this.loadRegistry();
    if (registry.models.some((entry) => entry.id === id && isBuiltin(entry))) throw new Error(`'${id}' is the built-in model's id`);
    const target = this.installedPath(id);
    if ((await this.isFolder(target)) && !options.replace) throw new Error(`a model '${id}' is already installed`);
    const staging = path.join(this.modelsDir, '.staging', `${id}-${randomBytes(4).toString('hex')}`);
    await mkdir(path.dirname(staging), { recursive: true });
    try {
      // A link in an untrusted model folder could pull any file of this machine into the models folder: links are not copied.
      const links: string[] = [];
      await cp(source, staging, {
        recursive: true,
        filter: async (file) => {
          if (file !== source && (await lstat(file)).isSymbolicLink()) {
            links.push(path.relative(source, file) || path.basename(file));
            return false;
          }
          return !file.endsWith('.part');
        },
      });
      const report = await validateModelFolder(staging, { task: options.task });
      const skipped = links.length ? ` (symbolic links are not copied: ${links.join(', ')})` : '';
      if (!report.ok) throw new Error(`${path.basename(source)} is not a usable model: ${report.problems.join('; ')}${skipped}`);
      const record: InstallRecord = {
        id,
        task: report.task,
        source: { importedFrom: source },
        dtypes: report.dtype ? [report.dtype] : [],
        installedAt: new Date().toISOString(),
      };
      await writeFile(path.join(staging, INSTALL_RECORD), `${JSON.stringify(record, null, 2)}\n`);
      if (options.replace) await rm(target, { recursive: true, force: true });
      await rename(staging, target);
      return { id, path: target, report: { ...report, folder: target } };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** Deletes an installed model and any partial download of it; the built-in model cannot be removed. */
  async remove(id: string): Promise<void> {
    const registry = await this.loadRegistry();
    if (registry.models.some((entry) => entry.id === id && isBuiltin(entry))) throw new Error(`'${id}' is built in and cannot be removed`);
    const target = this.installedPath(id);
    if (path.dirname(target) !== this.modelsDir || id.startsWith('.')) throw new Error(`invalid model id '${id}'`);
    const existed = await this.isFolder(target);
    await rm(target, { recursive: true, force: true });
    await rm(path.join(this.modelsDir, '.partial', id), { recursive: true, force: true });
    if (!existed) throw new Error(`model '${id}' is not installed`);
  }
}

import path from 'node:path';
import type { AppInfoT, MediaKind, SourceT } from '../domain/project';
import { ApiError, ProjectOwnedError } from '../domain/errors';
import pkg from '../../package.json' with { type: 'json' };
import { EngineEvents } from './events';
import { detectSourceKind, sourceRoot } from './ingest/open-source';
import { type Media, MediaService } from './media/media';
import { type OpenMode, Project } from './project';
import { APP_ROOT } from './paths';
import { readRecent, rememberRecent, winnowHome } from './recent';
import { ActiveModel, DEFAULT_MODEL, type VisionStatus } from './vision/active-model';
import { ModelManager } from './vision/model-manager';
import { INPUTS_JOB, inputPassEnabled } from './vision/input-pass';
import { requireModelFor } from './vision/task-models';
import { SamRefiner } from './review/sam-refiner';
import { ModelJobs } from './vision/model-pull-job';
import { removedSets } from './curate/removed-sets';

export const WINNOW_VERSION = pkg.version;

export type EngineMode = AppInfoT['mode'];

/** How often a read-only UI checks whether the project's owner has gone. */
const OWNER_WATCH_MS = 1_000;

/** The engine behind every front end: the open project, its jobs and media. Never imports electron. */
export class Engine {
  readonly events = new EngineEvents();
  /** Installed, downloadable and built-in models; WINNOW_MODELS_DIR moves the install folder, WINNOW_REGISTRY replaces models/registry.json. */
  readonly models = new ModelManager({
    modelsDir: process.env.WINNOW_MODELS_DIR ?? path.join(winnowHome(), 'models'),
    builtinRoot: path.join(APP_ROOT, 'models'),
    ...(process.env.WINNOW_REGISTRY && { registryPath: process.env.WINNOW_REGISTRY }),
  });
  /** App-level jobs (model pulls): they belong to no project and run whether or not one is open. */
  readonly modelJobs = new ModelJobs(this.events, this.models);
  /** The dual encoder every embedding, label and search job uses (loaded on first use). */
  /** Segment Anything for "refine" in review, loaded on first use. */
  readonly sam = new SamRefiner(this.models);
  readonly active = new ActiveModel(this.models, path.join(winnowHome(), 'cache', 'onnx'));
  private current: Project | null = null;
  private api: { url: string; token: string } | null = null;
  private ownerWatch: NodeJS.Timeout | null = null;
  private takingOver = false;
  private media: MediaService | null = null;

  /** What this process runs, as other processes that find its project owned are told ("winnow embed"). */
  readonly command: string;

  constructor(readonly mode: EngineMode, options: { command?: string } = {}) {
    this.command = options.command ?? { cli: 'winnow', browser: 'winnow serve', electron: 'Winnow app' }[mode];
    // Job forms ask for model-dependent defaults (registry calibration) as soon as they open: read it now.
    void this.models.registryEntry(DEFAULT_MODEL).catch(() => undefined);
  }

  get project(): Project | null {
    return this.current;
  }

  requireProject(): Project {
    if (!this.current) throw new ApiError('no_project', 'no project is open: create or open one first');
    return this.current;
  }

  info(): AppInfoT {
    return { version: WINNOW_VERSION, mode: this.mode, platform: `${process.platform}-${process.arch}`, project: this.current?.info() ?? null, recentProjects: readRecent() };
  }

  async createProject(dir: string, name?: string): Promise<Project> {
    await this.closeProject();
    const project = this.attach(Project.create(dir, this.services(), this.command, name));
    await project.jobs.load();
    return project;
  }

  /**
   * Opens a project. As its owner (the default) it takes the project's lock, failing with ProjectOwnedError
   * while another live process owns it, then marks the jobs dead owners left unfinished as interrupted and
   * (with `resume`) resumes them. Read-only it never writes, so it can sit beside a live owner.
   * `jobs: false` (a caller that neither starts nor resumes jobs, e.g. `winnow search` read-only) leaves the job
   * kinds' modules unloaded: starting or resuming a job then fails (JobRunner.registerLazy).
   */
  async openProject(dir: string, { resume = true, access = 'owner' as OpenMode['access'] | 'owner-or-read-only', jobs = true } = {}): Promise<Project> {
    const current = this.current;
    if (current && current.dir === path.resolve(dir) && (access !== 'owner' || !current.readOnly)) {
      if (jobs) await current.jobs.load();
      return current;
    }
    // Open the new one first: a project another process owns must not close the one on screen.
    let opened: Project;
    try {
      opened = Project.open(dir, this.services(), { access: access === 'read-only' ? 'read-only' : 'owner', command: this.command });
    } catch (err) {
      if (!(err instanceof ProjectOwnedError) || access !== 'owner-or-read-only') throw err;
      opened = Project.open(dir, this.services(), { access: 'read-only', command: this.command });
    }
    await this.closeProject();
    const project = this.attach(opened);
    // The filter recount's sorted copies are opened (header and end blocks: removed-sets.ts), so the first recount reads only the blocks it needs.
    removedSets(project.db).preload();
    if (jobs || resume) await project.jobs.load();
    const interrupted = project.jobs.recoverInterrupted();
    if (resume) for (const id of interrupted) project.jobs.resume(id);
    return project;
  }

  /**
   * Where this process's API listens: published on every project it owns (now and opened later), so other
   * processes opening the project attach to this one instead of writing it themselves.
   */
  publishApi(url: string, token: string): void {
    this.api = { url, token };
    this.current?.lock?.announce(url, token);
  }

  async addSource(location: string, kind?: SourceT['kind']): Promise<{ source: SourceT; jobId: number }> {
    const project = this.requireProject();
    project.requireOwner();
    const abs = path.resolve(location);
    const resolvedKind = kind ?? (await detectSourceKind(abs));
    const existing = project.sources.find(resolvedKind, abs);
    const source = existing ?? project.sources.add(resolvedKind, abs, sourceRoot(resolvedKind, abs), path.basename(abs));
    // When asked (inputPassEnabled), behind the import the project's small models get the new images' inputs decoded once (inputs-job.ts). Which
    // models is settled before the import starts: nothing may come between its start and project.changed (a fast
    // import's events would reach a client before the change that makes it drop what it holds).
    const models = inputPassEnabled() ? [...new Set([requireModelFor(project, 'embed'), requireModelFor(project, 'detect')])] : [];
    // The pass's module (and the preprocessing pool under it) loads only when the pass is asked for.
    const inputsCached = models.length ? (await import('./vision/inputs-job')).inputsCached : undefined;
    const cached = (await Promise.all(models.map(async (model) => ((await inputsCached!(this.active, model)) ? model : null)))).filter((m) => m !== null);
    // Importing a source again picks up new files; rows already stored are kept as they are.
    const lastItemId = project.items.maxId();
    const job = project.jobs.start('import', { sourceId: source.id });
    for (const model of cached) project.jobs.start(INPUTS_JOB, { model, afterItemId: lastItemId });
    this.events.emit('project.changed', project.info());
    return { source, jobId: job.id };
  }

  /**
   * Starts embedding every image and caption of the project with a model (the built-in one by default).
   * The runner recognises the same job: a running one is returned, an unfinished one resumed.
   */
  embed(model: string = DEFAULT_MODEL): number {
    return this.requireProject().jobs.start('embed', { model }).id;
  }

  visionStatus(model?: string): Promise<VisionStatus> {
    return this.active.status(model);
  }

  getMedia(kind: MediaKind, itemId: number): Promise<Media> {
    this.requireProject();
    return this.media!.get(kind, itemId);
  }

  async closeProject(): Promise<void> {
    this.stopOwnerWatch();
    if (!this.current) return;
    const p = this.current;
    this.current = null;
    this.media = null;
    await p.close();
  }

  async close(): Promise<void> {
    await this.modelJobs.close();
    await this.closeProject();
    await this.active.dispose();
    await this.sam.dispose();
  }

  private services() {
    return { events: this.events, active: this.active };
  }

  /**
   * A UI showing a project read-only takes it over as soon as its owner is gone (finished or died), resuming
   * what a dead owner left unfinished, so the curator never has to reopen it.
   */
  private watchOwner(project: Project): void {
    this.ownerWatch = setInterval(() => {
      if (this.current !== project || this.takingOver || Project.liveOwner(project.dir)) return;
      this.takingOver = true;
      this.openProject(project.dir).catch(() => {}).finally(() => { this.takingOver = false; });
    }, OWNER_WATCH_MS);
    this.ownerWatch.unref();
  }

  private stopOwnerWatch(): void {
    if (this.ownerWatch) clearInterval(this.ownerWatch);
    this.ownerWatch = null;
  }

  private attach(project: Project): Project {
    this.current = project;
    if (project.readOnly && this.mode !== 'cli') this.watchOwner(project);
    if (this.api) project.lock?.announce(this.api.url, this.api.token);
    this.media = new MediaService(project);
    rememberRecent(project.dir);
    this.events.emit('project.changed', project.info());
    return project;
  }
}

import path from 'node:path';
import type { AppInfoT, MediaKind, SourceT } from '../../main/domain/project';
import { ApiError } from '../../main/domain/errors';
import pkg from '../../package.json' with { type: 'json' };
import { EngineEvents } from './events';
import { detectSourceKind, sourceRoot } from './ingest/open-source';
import { type Media, MediaService } from './media/media';
import { Project } from './project';
import { APP_ROOT } from './paths';
import { readRecent, rememberRecent, winnowHome } from './recent';
import { ActiveModel, DEFAULT_MODEL, type VisionStatus } from './vision/active-model';
import { ModelManager } from './vision/model-manager';
import { SamRefiner } from './review/sam-refiner';
import { ModelJobs } from './vision/model-pull-job';

export const WINNOW_VERSION = pkg.version;

export type EngineMode = AppInfoT['mode'];

/** The engine behind every front end: the open project, its jobs and media. Never imports electron. */
export class Engine {
  readonly events = new EngineEvents();
  /** Installed, downloadable and built-in models; WINNOW_MODELS_DIR moves the install folder. */
  readonly models = new ModelManager({
    modelsDir: process.env.WINNOW_MODELS_DIR ?? path.join(winnowHome(), 'models'),
    builtinRoot: path.join(APP_ROOT, 'models'),
  });
  /** App-level jobs (model pulls): they belong to no project and run whether or not one is open. */
  readonly modelJobs = new ModelJobs(this.events, this.models);
  /** The dual encoder every embedding, label and search job uses (loaded on first use). */
  /** Segment Anything for "refine" in review, loaded on first use. */
  readonly sam = new SamRefiner(this.models);
  readonly active = new ActiveModel(this.models, path.join(winnowHome(), 'cache', 'onnx'));
  private current: Project | null = null;
  private media: MediaService | null = null;

  constructor(readonly mode: EngineMode) {}

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
    return this.attach(Project.create(dir, this.services(), name));
  }

  /** Opens a project and resumes the jobs a killed process left unfinished. */
  async openProject(dir: string, { resume = true } = {}): Promise<Project> {
    if (this.current && this.current.dir === path.resolve(dir)) return this.current;
    await this.closeProject();
    const project = this.attach(Project.open(dir, this.services()));
    const interrupted = project.jobs.recoverInterrupted();
    if (resume) for (const id of interrupted) project.jobs.resume(id);
    return project;
  }

  async addSource(location: string, kind?: SourceT['kind']): Promise<{ source: SourceT; jobId: number }> {
    const project = this.requireProject();
    const abs = path.resolve(location);
    const resolvedKind = kind ?? (await detectSourceKind(abs));
    const existing = project.sources.find(resolvedKind, abs);
    const source = existing ?? project.sources.add(resolvedKind, abs, sourceRoot(resolvedKind, abs), path.basename(abs));
    // Importing a source again picks up new files; rows already stored are kept as they are.
    const job = project.jobs.start('import', { sourceId: source.id });
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

  private attach(project: Project): Project {
    this.current = project;
    this.media = new MediaService(project);
    rememberRecent(project.dir);
    this.events.emit('project.changed', project.info());
    return project;
  }
}

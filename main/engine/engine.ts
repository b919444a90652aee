import path from 'node:path';
import type { AppInfoT, MediaKind, SourceT } from '../api/contract';
import { ApiError } from '../api/contract';
import pkg from '../../package.json' with { type: 'json' };
import { EngineEvents } from './events';
import { detectSourceKind } from './ingest/open-source';
import { type Media, MediaService } from './media/media';
import { Project } from './project';
import { APP_ROOT } from './paths';
import { readRecent, rememberRecent, winnowHome } from './recent';
import { ModelManager } from './vision/model-manager';

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
    return this.attach(Project.create(dir, this.events, name));
  }

  /** Opens a project and resumes the jobs a killed process left unfinished. */
  async openProject(dir: string, { resume = true } = {}): Promise<Project> {
    if (this.current && this.current.dir === path.resolve(dir)) return this.current;
    await this.closeProject();
    const project = this.attach(Project.open(dir, this.events));
    const interrupted = project.jobs.recoverInterrupted();
    if (resume) for (const id of interrupted) project.jobs.resume(id);
    return project;
  }

  async addSource(location: string, kind?: SourceT['kind']): Promise<{ source: SourceT; jobId: number }> {
    const project = this.requireProject();
    const abs = path.resolve(location);
    const resolvedKind = kind ?? (await detectSourceKind(abs));
    const existing = project.sources.find(resolvedKind, abs);
    const source = existing ?? project.sources.add(resolvedKind, abs, resolvedKind === 'folder' ? abs : path.dirname(abs), path.basename(abs));
    // Importing a source again picks up new files; rows already stored are kept as they are.
    const job = project.jobs.start('import', { sourceId: source.id });
    this.events.emit('project.changed', project.info());
    return { source, jobId: job.id };
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
    await this.closeProject();
  }

  private attach(project: Project): Project {
    this.current = project;
    this.media = new MediaService(project);
    rememberRecent(project.dir);
    this.events.emit('project.changed', project.info());
    return project;
  }
}

import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ProjectInfoT } from '../../main/domain/project';
import { ApiError } from '../../main/domain/errors';
import type { EngineEvents } from './events';
import { statsJob } from './curate/stats-job';
import { conceptsJob } from './curate/concepts-job';
import { detectJob } from './detect/detect-job';
import { labelJob } from './curate/label-job';
import { pairScoreJob } from './curate/pair-score-job';
import { semDedupJob } from './curate/semantic-job';
import { importJob } from './ingest/import-job';
import { exportJob } from './export/export-job';
import { downloadJob } from './ingest/download-job';
import { JobRunner } from './jobs/runner';
import { JobStore } from './store/jobs';
import { type Db, openDatabase, schemaVersion } from './store/database';
import { AnnotationStore } from './store/annotations';
import { EmbeddingStore } from './store/embeddings';
import { IssueStore } from './store/issues';
import { ItemStore } from './store/items';
import { SourceStore } from './store/sources';
import type { ActiveModel } from './vision/active-model';
import { embedJob } from './vision/embed-job';

export const DB_FILE = 'project.sqlite';

/** What a project borrows from the engine: its event bus and the loaded model. */
export interface ProjectServices {
  events: EngineEvents;
  active: ActiveModel;
}

/** A project is a folder: project.sqlite plus caches. One Project owns the open database and its job runner. */
export class Project {
  readonly items: ItemStore;
  readonly sources: SourceStore;
  readonly issues: IssueStore;
  readonly jobs: JobRunner;
  readonly annotations: AnnotationStore;
  readonly embeddings: EmbeddingStore;
  readonly thumbsDir: string;

  private readonly events: EngineEvents;

  private constructor(readonly dir: string, readonly db: Db, services: ProjectServices) {
    this.events = services.events;
    this.items = new ItemStore(db);
    this.sources = new SourceStore(db);
    this.issues = new IssueStore(db);
    this.annotations = new AnnotationStore(db);
    this.jobs = new JobRunner({ store: new JobStore(db), issues: this.issues, emit: (job) => this.events.emit('job.progress', job) });
    this.jobs.register(importJob(this));
    this.jobs.register(exportJob(this));
    this.jobs.register(downloadJob(this));
    this.jobs.register(statsJob(this));
    this.jobs.register(semDedupJob(this));
    this.embeddings = new EmbeddingStore(db, path.join(dir, 'embeddings'));
    this.jobs.register(embedJob(this, services.active));
    this.jobs.register(labelJob(this, services.active));
    this.jobs.register(pairScoreJob(this, services.active));
    this.jobs.register(conceptsJob(this, services.active));
    this.jobs.register(detectJob(this, services.active));
    this.thumbsDir = path.join(dir, 'thumbs');
  }

  static create(dir: string, services: ProjectServices, name?: string): Project {
    const abs = path.resolve(dir);
    if (existsSync(path.join(abs, DB_FILE))) throw new ApiError('conflict', `${abs} already holds a Winnow project; open it instead`);
    mkdirSync(abs, { recursive: true });
    const project = new Project(abs, openDatabase(path.join(abs, DB_FILE)), services);
    project.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('name', name ?? path.basename(abs));
    return project;
  }

  static open(dir: string, services: ProjectServices): Project {
    const abs = path.resolve(dir);
    if (!existsSync(path.join(abs, DB_FILE))) throw new ApiError('not_found', `${abs} is not a Winnow project (no ${DB_FILE})`);
    return new Project(abs, openDatabase(path.join(abs, DB_FILE)), services);
  }

  static exists(dir: string): boolean {
    return existsSync(path.join(path.resolve(dir), DB_FILE));
  }

  get name(): string {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'name'`).get() as { value: string } | undefined;
    return row?.value ?? path.basename(this.dir);
  }

  info(): ProjectInfoT {
    return {
      dir: this.dir, name: this.name, schemaVersion: schemaVersion(this.db), itemCount: this.items.count(),
      sourceCount: this.sources.list().length, issueCount: this.issues.count(),
    };
  }

  notifyItemsChanged(sourceId: number | null, added: number, issuesChanged: boolean): void {
    this.events.emit('items.changed', { sourceId, count: added });
    if (issuesChanged) this.events.emit('issues.changed', { count: this.issues.count() });
  }

  async close(): Promise<void> {
    await this.jobs.close();
    this.db.close();
  }
}

import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ProjectInfoT } from '../domain/project';
import { ApiError, ProjectOwnedError } from '../domain/errors';
import { describeOwner } from '../domain/project';
import { ownerState, ProjectLock } from './ownership/project-lock';
import { type OwnerRecord, readOwner } from './ownership/owner-record';
import type { EventPayload } from '../domain/events';
import type { EngineEvents } from './events';
import { removedSets } from './curate/removed-sets';
import { JobRunner } from './jobs/runner';
import type { RegisteredJob } from './jobs/define-job';
import { JobStore } from './store/jobs';
import { type Db, openDatabase, schemaVersion } from './store/database';
import { AnnotationStore } from './store/annotations';
import { RunStore } from './store/runs';
import { ModelSettingsStore } from './store/model-settings';
import { EmbeddingStore } from './store/embeddings';
import { IssueStore } from './store/issues';
import { ItemStore } from './store/items';
import { SourceStore } from './store/sources';
import type { ActiveModel } from './vision/active-model';

export const DB_FILE = 'project.sqlite';

/** What a project borrows from the engine: its event bus and the loaded model. */
export interface ProjectServices {
  events: EngineEvents;
  active: ActiveModel;
}

/**
 * How a process opens a project. 'owner' takes the project's lock (or fails with ProjectOwnedError naming the
 * live owner); 'read-only' never writes: no lock, no migration, no job recovery, and jobs cannot be started.
 */
export interface OpenMode {
  access: 'owner' | 'read-only';
  /** What this process runs, shown to other processes that find the project owned ("winnow embed"). */
  command: string;
}

function liveOwnerIn(db: Db): OwnerRecord | null {
  const owner = readOwner(db);
  return owner && ownerState(owner).kind === 'live' ? owner : null;
}

/** A project is a folder: project.sqlite plus caches. One Project owns the open database and its job runner. */
export class Project {
  readonly items: ItemStore;
  readonly sources: SourceStore;
  readonly issues: IssueStore;
  readonly jobs: JobRunner;
  readonly annotations: AnnotationStore;
  readonly runs: RunStore;
  /** The chosen model per task and the project's calibration overrides. */
  readonly modelSettings: ModelSettingsStore;
  readonly embeddings: EmbeddingStore;
  readonly thumbsDir: string;

  private readonly events: EngineEvents;

  private constructor(readonly dir: string, readonly db: Db, services: ProjectServices, readonly lock: ProjectLock | null) {
    this.events = services.events;
    this.items = new ItemStore(db);
    this.sources = new SourceStore(db);
    this.issues = new IssueStore(db);
    this.annotations = new AnnotationStore(db);
    this.runs = new RunStore(db);
    this.modelSettings = new ModelSettingsStore(db);
    this.jobs = new JobRunner({
      store: new JobStore(db), issues: this.issues, emit: (job) => this.events.emit('job.progress', job),
      owner: lock?.ownerId ?? null, readOnlyReason: () => this.readOnlyReason(),
      announce: (domain, jobId) => {
        if (domain === 'annotations') this.events.emit('annotations.changed', { jobId, itemIds: null });
        else this.events.emit(`${domain}.changed`, { jobId });
      },
    });
    this.embeddings = new EmbeddingStore(db, path.join(dir, 'embeddings'));
    // Each kind's module is imported when the jobs are loaded (Engine.openProject, before any job is started or
    // resumed): a command that only reads never evaluates them (JobRunner.registerLazy).
    const active = services.active;
    const kinds: Record<string, () => Promise<RegisteredJob>> = {
      import: async () => (await import('./ingest/import-job')).importJob(this),
      export: async () => (await import('./export/export-job')).exportJob(this),
      download: async () => (await import('./ingest/download-job')).downloadJob(this),
      'curate.stats': async () => (await import('./curate/stats-job')).statsJob(this),
      'curate.semdedup': async () => (await import('./curate/semantic-job')).semDedupJob(this),
      'search.index': async () => (await import('./curate/search-index-job')).searchIndexJob(this, active),
      embed: async () => (await import('./vision/embed-job')).embedJob(this, active),
      inputs: async () => (await import('./vision/inputs-job')).inputsJob(this, active),
      'curate.label': async () => (await import('./curate/label-job')).labelJob(this, active),
      'adapt.run': async () => (await import('./adapt/adapt-job')).adaptJob(this, active),
      'curate.pairscore': async () => (await import('./curate/pair-score-job')).pairScoreJob(this, active),
      'curate.concepts': async () => (await import('./curate/concepts-job')).conceptsJob(this, active),
      'detect.run': async () => (await import('./detect/detect-job')).detectJob(this, active),
    };
    for (const [kind, load] of Object.entries(kinds)) this.jobs.registerLazy(kind, load);
    this.thumbsDir = path.join(dir, 'thumbs');
  }

  static create(dir: string, services: ProjectServices, command: string, name?: string): Project {
    const abs = path.resolve(dir);
    if (existsSync(path.join(abs, DB_FILE))) throw new ApiError('conflict', `${abs} already holds a Winnow project; open it instead`);
    mkdirSync(abs, { recursive: true });
    const project = Project.withLock(abs, services, command);
    project.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('name', name ?? path.basename(abs));
    return project;
  }

  static open(dir: string, services: ProjectServices, mode: OpenMode): Project {
    const abs = path.resolve(dir);
    if (!existsSync(path.join(abs, DB_FILE))) throw new ApiError('not_found', `${abs} is not a Winnow project (no ${DB_FILE})`);
    if (mode.access === 'read-only') return new Project(abs, openDatabase(path.join(abs, DB_FILE), { readonly: true }), services, null);
    return Project.withLock(abs, services, mode.command);
  }

  /** The live owner of a project folder, or null when it is free or its owner is dead; reads without writing. */
  static liveOwner(dir: string): OwnerRecord | null {
    const abs = path.resolve(dir);
    const db = openDatabase(path.join(abs, DB_FILE), { readonly: true });
    try {
      return liveOwnerIn(db);
    } finally {
      db.close();
    }
  }

  /** The live owner of this project as its database records it now (null: free, or its owner died). */
  liveOwner(): OwnerRecord | null {
    return liveOwnerIn(this.db);
  }

  private static withLock(abs: string, services: ProjectServices, command: string): Project {
    const db = openDatabase(path.join(abs, DB_FILE));
    const taken = ProjectLock.acquire(db, abs, command);
    if ('owner' in taken) {
      db.close();
      throw new ProjectOwnedError(abs, taken.owner);
    }
    return new Project(abs, db, services, taken.lock);
  }

  static exists(dir: string): boolean {
    return existsSync(path.join(path.resolve(dir), DB_FILE));
  }

  get name(): string {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'name'`).get() as { value: string } | undefined;
    return row?.value ?? path.basename(this.dir);
  }

  get readOnly(): boolean {
    return this.lock === null;
  }

  /** The process that owns this project when this one only reads it (null when this process owns it). */
  owner(): OwnerRecord | null {
    if (this.lock) return null;
    const owner = readOwner(this.db);
    return owner && ownerState(owner).kind === 'live' ? owner : null;
  }

  info(): ProjectInfoT {
    const owner = this.owner();
    return {
      dir: this.dir, name: this.name, schemaVersion: schemaVersion(this.db), itemCount: this.items.count(),
      sourceCount: this.sources.list().length, issueCount: this.issues.count(), access: this.lock ? 'owner' : 'read-only',
      owner: owner && { pid: owner.pid, host: owner.host, command: owner.command, startedAt: owner.startedAt, heartbeatAt: owner.heartbeatAt },
    };
  }

  /** Throws the read-only reason unless this process owns the project. */
  requireOwner(): void {
    if (!this.lock) throw new ApiError('conflict', this.readOnlyReason());
  }

  readOnlyReason(): string {
    const owner = this.owner();
    return `${this.dir} is open read-only${owner ? `: it is owned by ${describeOwner(owner)}` : ''}`;
  }

  /** Announces a committed write to front ends (review edits, selection saves, keeper choices). */
  announce<E extends 'signals.changed' | 'duplicates.changed' | 'annotations.changed' | 'selections.changed' | 'views.changed' | 'decisions.changed'>(event: E, payload: EventPayload<E>): void {
    this.events.emit(event, payload);
  }

  notifyItemsChanged(sourceId: number | null, added: number, issuesChanged: boolean): void {
    this.events.emit('items.changed', { sourceId, count: added });
    if (issuesChanged) this.events.emit('issues.changed', { count: this.issues.count() });
  }

  async close(): Promise<void> {
    this.lock?.withdrawApi();
    await this.jobs.close();
    // After the jobs: a job still finishing could otherwise reopen a sorted copy's file.
    removedSets(this.db).close();
    this.lock?.release();
    this.db.close();
  }
}

// Where shard outputs and merged results live. Workers stage a shard's files in a local folder and commit
// them under a name exactly once: a retried or duplicated attempt that finds the name committed drops its
// own copy. Two backends behind this interface: a shared filesystem path (fs-storage.ts) and S3-compatible
// object storage (s3-storage.ts).

export interface ShardStorage {
  /** The location as the plan names it (a folder or s3://bucket/prefix). */
  readonly location: string;
  /** A local folder on the same filesystem as the committed outputs when there is one (stage there so commit is a rename). */
  stagingRoot(): Promise<string>;
  /** Commits the files of `localDir` as `name` (e.g. `shards/00001-of-00004`); false when another attempt committed it first. `localDir` is consumed. */
  commit(name: string, localDir: string): Promise<boolean>;
  committed(name: string): Promise<boolean>;
  /** Names committed under `prefix` (`shards/`), sorted. */
  list(prefix: string): Promise<string[]>;
  /** A local folder holding the committed files of `name` (the folder itself, or a downloaded copy). */
  open(name: string): Promise<string>;
  /** A local path to one committed file of `name`, fetching that file alone (a merged result's table, not its matrices). */
  openFile(name: string, file: string): Promise<string>;
  /** Small JSON documents next to the outputs (run state, failures); last write wins. */
  writeJson(name: string, value: unknown): Promise<void>;
  readJson<T>(name: string): Promise<T | null>;
  remove(name: string): Promise<void>;
}

export async function openStorage(location: string): Promise<ShardStorage> {
  if (location.startsWith('s3://')) {
    const { S3Storage } = await import('./s3-storage');
    return S3Storage.fromUrl(location);
  }
  const { FsStorage } = await import('./fs-storage');
  return new FsStorage(location);
}

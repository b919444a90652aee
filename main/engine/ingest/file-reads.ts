// Where an import's per-item file reads run (sidecar captions, image bytes + sha256 + header): on a worker
// thread, so that on two cores the reads overlap the main thread's walk and SQLite writes. Captions are read
// in this thread while the worker starts (the walk goes on meanwhile); images wait for it, so this thread never
// loads the header parser (~35 ms of CPU). Every pending and later read is done here if the worker dies.
import { Worker } from 'node:worker_threads';
import { READ_WORKER, readImages, readTexts, type ImageRead, type ReadReply, type ReadRequest, type TextRead } from './read-files.mjs';

export interface FileReads {
  /** UTF-8 texts of small files (caption sidecars), in order; a file that cannot be read gives its error. */
  texts(files: string[]): Promise<TextRead[]>;
  /** Size, sha256 and header dimensions of image files, in order; a file that cannot be read gives its error. */
  images(files: string[]): Promise<ImageRead[]>;
  close(): Promise<void>;
}

export const inThreadReads: FileReads = { texts: readTexts, images: readImages, close: async () => undefined };

const WORKER_URL = new URL('./read-files.mjs', import.meta.url);

type Pending = { op: ReadRequest['op']; files: string[]; resolve: (out: ImageRead[] | TextRead[]) => void };

export interface WorkerReads extends FileReads {
  /** True once the worker answers requests; false if it died or was closed first. */
  readonly ready: Promise<boolean>;
  /** How many files the worker and this thread have read so far. */
  readonly served: { worker: number; inThread: number };
}

/**
 * Reads on one worker thread, started by the first read or by `ready` (an import of embedded or remote items never
 * starts it), from `url` (tests start a failing one); results are identical to inThreadReads'.
 */
export function workerReads(url: URL = WORKER_URL): WorkerReads {
  const pending = new Map<number, Pending>();
  const served = { worker: 0, inThread: 0 };
  let nextId = 0;
  let ready = false;
  let settleReady: (up: boolean) => void = () => undefined;
  const readyPromise = new Promise<boolean>((resolve) => (settleReady = resolve));
  let worker: Worker | null = null;
  /** Set once the worker is gone (died or closed): it is not started again. */
  let ended = false;
  const start = (): Worker | null => {
    if (worker || ended) return worker;
    // execArgv: [] — plain JavaScript needs no loader: a parent's `--import tsx` would cost the worker ~100 ms to start.
    const w = new Worker(url, { workerData: { role: READ_WORKER }, execArgv: [] });
    // Held open only while it owes replies: a reader never closed (its job threw early) cannot keep the process alive.
    w.unref();
    w.on('message', (reply: ReadReply) => {
      if ('ready' in reply) {
        ready = true;
        settleReady(true);
        return;
      }
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (!pending.size) w.unref();
      served.worker += p.files.length;
      p.resolve(reply.out);
    });
    w.on('error', gone);
    w.on('exit', gone);
    return (worker = w);
  };
  const inThread = (op: Pending['op'], files: string[]) => {
    served.inThread += files.length;
    return op === 'images' ? readImages(files) : readTexts(files);
  };
  const gone = () => {
    worker = null;
    ended = true;
    ready = false;
    settleReady(false);
    // Reads have no side effects: whatever the worker had not answered is read here instead.
    for (const [id, p] of pending) {
      pending.delete(id);
      void inThread(p.op, p.files).then(p.resolve);
    }
  };
  const run = (op: Pending['op'], files: string[]): Promise<ImageRead[] | TextRead[]> => {
    const w = files.length ? start() : null;
    // A message posted before the worker is up waits in its queue.
    if (!w || (op === 'texts' && !ready)) return inThread(op, files);
    return new Promise((resolve) => {
      const id = nextId++;
      // ref/unref on the transitions only: each call re-registers the port's listeners.
      if (!pending.size) w.ref();
      pending.set(id, { op, files, resolve });
      w.postMessage({ id, op, files } satisfies ReadRequest);
    });
  };
  return {
    get ready() {
      start();
      return readyPromise;
    },
    served,
    texts: (files) => run('texts', files) as Promise<TextRead[]>,
    images: (files) => run('images', files) as Promise<ImageRead[]>,
    close: async () => {
      const w = worker;
      ended = true;
      settleReady(false);
      if (!w) return;
      w.off('exit', gone);
      w.off('error', gone);
      await w.terminate();
      gone();
    },
  };
}

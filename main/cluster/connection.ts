// Redis connections for BullMQ from a `redis://[:password@]host:port[/db]` URL. Commands wait (no per-request
// retry limit, as BullMQ requires) and reconnect forever with a capped back-off, so a restarted Redis is
// picked up again by workers and the submitter without anyone restarting them.
import { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

export const QUEUE_NAME = 'winnow-shards';
export const PREFIX = 'winnow';

export function redisOptions(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--queue takes a redis:// URL, not "${url}"`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`--queue takes a redis:// URL, not "${url}"`);
  return {
    host: u.hostname || '127.0.0.1', port: Number(u.port || 6379), db: Number(u.pathname.slice(1) || 0),
    password: u.password ? decodeURIComponent(u.password) : undefined, username: u.username ? decodeURIComponent(u.username) : undefined,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null, enableReadyCheck: true,
    retryStrategy: (times) => Math.min(200 * times, 2_000),
  };
}

export function connect(url: string): Redis {
  return new Redis(redisOptions(url));
}

/** Runs `use` with the shard queue on a connection of its own, closed afterwards (submitting, following, cancelling). */
export async function withShardQueue<T>(url: string, use: (queue: Queue, redis: Redis) => Promise<T>): Promise<T> {
  const redis = connect(url);
  const queue = new Queue(QUEUE_NAME, { connection: redis, prefix: PREFIX });
  try {
    return await use(queue, redis);
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

/** Key a run's cancel request is kept under (workers check it between batches). */
export const cancelKey = (runId: string) => `${PREFIX}:cancel:${runId}`;
/** Key the submitter keeps a run's description under (`cluster cancel` and progress read it). */
export const runKey = (runId: string) => `${PREFIX}:run:${runId}`;

/**
 * The test Redis for a describe block of real-adapter tests: one client for the block, a unique
 * key prefix per adapter instance (parallel suites share the database), and every key the block
 * wrote deleted afterwards.
 */
import { randomUUID } from "node:crypto";
import { connectRedis, type RedisConnection } from "../../src/adapters/redis/redis-client.js";
import { requireRedis, TEST_REDIS_URL } from "./services.js";

/** For clients a test points at a dead port on purpose: their connection errors are expected. */
export const silentRedisLogger = { warn() {}, error() {} };

export interface RedisScope {
  client: RedisConnection;
  prefix: string;
  /** Deletes every key under `prefix`. */
  cleanup(): Promise<void>;
}

export interface RedisFixture {
  /** The block's client, connected in its `before` hook. */
  readonly client: RedisConnection;
  /** A key prefix no other adapter instance of this run uses, and the cleanup of its keys. */
  scope(): RedisScope;
  /** Every key under `prefix`. */
  keys(prefix: string): Promise<string[]>;
}

async function deleteKeys(redis: RedisConnection, prefix: string): Promise<void> {
  // SCAN is fine in test cleanup; the adapters themselves never scan.
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) await redis.del(keys);
  }
}

/**
 * Call inside a describe block: requires Redis in its `before` hook (skipped outside CI when it
 * is absent), quits and deletes the run's keys in its `after` hook.
 */
export function useRedis(label: string): RedisFixture {
  const runPrefix = `test:${label}:${randomUUID().slice(0, 8)}:`;
  let redis: RedisConnection | undefined;
  let n = 0;

  before(async function () {
    await requireRedis(this);
    redis = await connectRedis(TEST_REDIS_URL, { logger: silentRedisLogger });
  });

  after(async () => {
    if (!redis) return;
    await deleteKeys(redis, runPrefix);
    await redis.quit();
  });

  const fixture: RedisFixture = {
    get client() {
      if (!redis) throw new Error("the Redis fixture is used outside the describe block that declared it");
      return redis;
    },
    scope() {
      const client = fixture.client;
      const prefix = `${runPrefix}${++n}:`;
      return { client, prefix, cleanup: () => deleteKeys(client, prefix) };
    },
    async keys(prefix) {
      const keys: string[] = [];
      for await (const batch of fixture.client.scanIterator({ MATCH: `${prefix}*` })) keys.push(...batch);
      return keys;
    },
  };
  return fixture;
}

import { randomUUID } from "node:crypto";
import { RedisScript, sendRaw, withDeadline, type RedisHandle } from "../redis/redis-client.js";
import type { UserCacheStamps } from "./user-cache.stamps.js";

export interface RedisUserCacheStampsOptions {
  /** Namespace for every key; default "ha:". */
  prefix?: string;
  /** Deadline per call; default 2000 ms. */
  timeoutMs?: number;
  /** How long a stamp lives without a write; a new one is minted after it (one cache miss). */
  ttlSeconds?: number;
}

const DEPENDENCY = "sessionStore";

/** The stamp in force, or the proposed one made the stamp in force when there is none. */
const CURRENT = new RedisScript(`
local stamp = redis.call('GET', KEYS[1])
if stamp then return stamp end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return ARGV[1]
`);

/**
 * Stamps shared by every instance through Redis: one key per user. Retiring a stamp is a DEL, so
 * it is idempotent and a Redis that lost its data (restart without persistence) only costs
 * every cache one miss per user.
 */
export class RedisUserCacheStamps implements UserCacheStamps {
  readonly #redis: RedisHandle;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #ttlSeconds: string;

  constructor(redis: RedisHandle, options: RedisUserCacheStampsOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? "ha:";
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#ttlSeconds = String(options.ttlSeconds ?? 86_400);
  }

  async current(userId: string): Promise<string> {
    const key = this.#key(userId);
    // A plain GET almost always finds it (every request takes this path); the script only
    // when there is none yet.
    const stamp = await withDeadline(sendRaw<string | null>(this.#redis, key, ["GET", key], true), this.#timeoutMs, DEPENDENCY);
    if (typeof stamp === "string") return stamp;
    const reply = await withDeadline(CURRENT.run(this.#redis, [key], [randomUUID(), this.#ttlSeconds]), this.#timeoutMs, DEPENDENCY);
    return String(reply);
  }

  async invalidate(userId: string): Promise<void> {
    await withDeadline(this.#redis.del(this.#key(userId)), this.#timeoutMs, DEPENDENCY);
  }

  #key(userId: string): string {
    return `${this.#prefix}ucs:${userId}`;
  }
}

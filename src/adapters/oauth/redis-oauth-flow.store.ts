import { withDeadline, type RedisHandle } from "../redis/redis-client.js";
import type { OAuthFlowStore } from "./oauth-flow.store.js";

export interface RedisOAuthFlowStoreOptions {
  /** Namespace for every key; default "ha:". */
  prefix?: string;
  /** Deadline per call; default 2000 ms. */
  timeoutMs?: number;
}

const DEPENDENCY = "sessionStore";

/**
 * OAuthFlowStore shared by every instance, so the callback may land on another instance than
 * the start. GETDEL makes "read once" atomic. The expiry travels in the value and is checked
 * against the caller's clock; the key's TTL only reclaims memory.
 */
export class RedisOAuthFlowStore implements OAuthFlowStore {
  readonly #redis: RedisHandle;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(redis: RedisHandle, options: RedisOAuthFlowStoreOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? "ha:";
    this.#timeoutMs = options.timeoutMs ?? 2000;
  }

  async put(key: string, value: string, ttlSeconds: number, now: Date): Promise<void> {
    const payload = JSON.stringify({ v: value, exp: now.getTime() + ttlSeconds * 1000 });
    await withDeadline(this.#redis.set(this.#key(key), payload, { PX: Math.max(1, ttlSeconds * 1000) }), this.#timeoutMs, DEPENDENCY);
  }

  async take(key: string, now: Date): Promise<string | null> {
    const raw = await withDeadline(this.#redis.getDel(this.#key(key)), this.#timeoutMs, DEPENDENCY);
    if (typeof raw !== "string") return null;
    const entry = JSON.parse(raw) as { v: string; exp: number };
    return entry.exp > now.getTime() ? entry.v : null;
  }

  #key(key: string): string {
    return `${this.#prefix}oauth:${key}`;
  }
}

import { randomUUID } from "node:crypto";
import type { UserCacheStamps } from "./user-cache.stamps.js";

/** Stamps for one process (the embedded database, or PostgreSQL without Redis). */
export class InMemoryUserCacheStamps implements UserCacheStamps {
  readonly #stamps = new Map<string, string>();

  async current(userId: string): Promise<string> {
    let stamp = this.#stamps.get(userId);
    if (stamp === undefined) {
      stamp = randomUUID();
      this.#stamps.set(userId, stamp);
    }
    return stamp;
  }

  async invalidate(userId: string): Promise<void> {
    this.#stamps.delete(userId);
  }
}

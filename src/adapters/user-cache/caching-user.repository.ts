import { LRUCache } from "lru-cache";
import type { Logger } from "../../application/ports/logger.port.js";
import type { Clock } from "../../application/ports/security.port.js";
import type { NewUser, UserChanges, UserRepository } from "../../application/ports/user-repository.port.js";
import { ServiceUnavailableError } from "../../domain/errors.js";
import type { User } from "../../domain/user.entity.js";
import type { UserCacheStamps } from "./user-cache.stamps.js";

export interface CachingUserRepositoryOptions {
  /** Users kept per process (least recently used dropped first). */
  maxEntries: number;
  /**
   * The longest a cached row is served, whatever its stamp says: the bound on staleness when a
   * row changes behind the repository's back (SQL by hand) or a stamp could not be retired.
   */
  maxAgeSeconds: number;
}

interface Entry {
  stamp: string;
  user: User;
  cachedAtMs: number;
}

/**
 * A UserRepository that answers `findById` from this process's memory while the user's stamp
 * (UserCacheStamps, in Redis when instances share one) is the one the row was read under. Every
 * write through any instance retires the stamp once it committed, so a read that starts after a
 * write returned sees that write on every instance: the cache trades a database query for one
 * Redis call on the hot path (every authenticated request that needs the user). Lookups by email
 * (sign-in, sign-up) always go to the database.
 *
 * When the stamps cannot be reached, reads go to the database uncached; a write whose stamp could
 * not be retired is still reported as done (it is) and other instances may serve the previous
 * row for at most `maxAgeSeconds`.
 */
export class CachingUserRepository implements UserRepository {
  readonly #inner: UserRepository;
  readonly #stamps: UserCacheStamps;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #maxAgeMs: number;
  readonly #entries: LRUCache<string, Entry>;

  constructor(inner: UserRepository, stamps: UserCacheStamps, clock: Clock, logger: Logger, options: CachingUserRepositoryOptions) {
    this.#inner = inner;
    this.#stamps = stamps;
    this.#clock = clock;
    this.#logger = logger;
    this.#maxAgeMs = options.maxAgeSeconds * 1000;
    this.#entries = new LRUCache({ max: Math.max(1, options.maxEntries) });
  }

  async findById(id: string): Promise<User | null> {
    let stamp: string;
    try {
      stamp = await this.#stamps.current(id);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableError)) throw err;
      return this.#inner.findById(id);
    }
    const now = this.#clock.now().getTime();
    const entry = this.#entries.get(id);
    if (entry && entry.stamp === stamp && now - entry.cachedAtMs < this.#maxAgeMs) return copyUser(entry.user);
    const user = await this.#inner.findById(id);
    if (user) this.#entries.set(id, { stamp, user: copyUser(user), cachedAtMs: now });
    else this.#entries.delete(id);
    return user;
  }

  findByEmail(emailNormalized: string): Promise<User | null> {
    return this.#inner.findByEmail(emailNormalized);
  }

  async create(user: NewUser): Promise<User> {
    return this.#inner.create(user);
  }

  async update(id: string, changes: UserChanges): Promise<User | null> {
    try {
      return await this.#inner.update(id, changes);
    } finally {
      // Also after a failed update: whether it committed is not always knowable.
      await this.#retire(id);
    }
  }

  async delete(id: string): Promise<boolean> {
    try {
      return await this.#inner.delete(id);
    } finally {
      await this.#retire(id);
    }
  }

  listPurgeable(now: Date, limit: number): Promise<User[]> {
    return this.#inner.listPurgeable(now, limit);
  }

  ping(): Promise<void> {
    return this.#inner.ping();
  }

  async #retire(id: string): Promise<void> {
    this.#entries.delete(id);
    try {
      await this.#stamps.invalidate(id);
    } catch (err) {
      this.#logger.warn({ err, userId: id }, `user cache: could not retire the stamp; other instances may serve the previous row for up to ${this.#maxAgeMs / 1000} s`);
    }
  }
}

/** Callers never hold a reference into the cache (the rule every in-memory adapter follows). */
function copyUser(user: User): User {
  return {
    ...user,
    avatar: user.avatar ? { ...user.avatar } : null,
    lastLoginAt: user.lastLoginAt ? new Date(user.lastLoginAt) : null,
    createdAt: new Date(user.createdAt),
    updatedAt: new Date(user.updatedAt),
    deactivatedAt: user.deactivatedAt ? new Date(user.deactivatedAt) : null,
    purgeAfter: user.purgeAfter ? new Date(user.purgeAfter) : null,
  };
}

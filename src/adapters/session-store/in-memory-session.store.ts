import type { Clock } from "../../application/ports/security.port.js";
import type { SessionCheck, RotateRefreshInput, RotateRefreshResult, SessionStore } from "../../application/ports/session-store.port.js";
import { isSessionLive, type Session } from "../../domain/session.js";

const MAX_OLD_HASHES = 100;
const TOUCH_THROTTLE_MS = 60_000;
/** Dead sessions are dropped on access; a full sweep every so many writes bounds memory. */
const SWEEP_EVERY_WRITES = 1_000;

interface Entry {
  session: Session;
  /** Rotated-out refresh hashes → rotation time (ms), in insertion (= rotation) order. */
  old: Map<string, number>;
}

/**
 * Single-process SessionStore with the same semantics as RedisSessionStore. Each method body
 * runs without an await between reading and writing, so rotation is atomic by construction.
 */
export class InMemorySessionStore implements SessionStore {
  readonly #clock: Clock;
  readonly #sessions = new Map<string, Entry>();
  readonly #byUser = new Map<string, Set<string>>();
  #writes = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async create(session: Session): Promise<void> {
    this.#remove(session.id);
    this.#sessions.set(session.id, { session: structuredClone(session), old: new Map() });
    let ids = this.#byUser.get(session.userId);
    if (!ids) this.#byUser.set(session.userId, (ids = new Set()));
    ids.add(session.id);
    this.#wrote();
  }

  async get(sessionId: string): Promise<Session | null> {
    const entry = this.#live(sessionId, this.#clock.now());
    return entry ? structuredClone(entry.session) : null;
  }

  async listByUser(userId: string): Promise<Session[]> {
    const now = this.#clock.now();
    const sessions: Session[] = [];
    for (const id of [...(this.#byUser.get(userId) ?? [])]) {
      const entry = this.#live(id, now);
      if (entry) sessions.push(structuredClone(entry.session));
    }
    return sessions.sort(
      (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
  }

  async rotate(input: RotateRefreshInput): Promise<RotateRefreshResult> {
    const now = input.now.getTime();
    const entry = this.#live(input.sessionId, input.now);
    if (!entry) return { status: "invalid" };
    const { session, old } = entry;
    if (session.refreshTokenHash === input.presentedHash) {
      old.delete(session.refreshTokenHash);
      old.set(session.refreshTokenHash, now);
      while (old.size > MAX_OLD_HASHES) old.delete(old.keys().next().value as string);
      session.refreshTokenHash = input.nextHash;
      session.lastUsedAt = new Date(now);
      session.expiresAt = new Date(input.nextExpiresAt.getTime());
      this.#wrote();
      return { status: "rotated", session: structuredClone(session) };
    }
    const rotatedAt = old.get(input.presentedHash);
    if (rotatedAt === undefined) return { status: "invalid" };
    // Same successor = a concurrent request with the same old token, not a replay.
    if (now - rotatedAt <= input.graceMs && session.refreshTokenHash === input.nextHash) {
      return { status: "rotated", session: structuredClone(session) };
    }
    this.#remove(session.id);
    return { status: "reused", userId: session.userId };
  }

  async check(sessionId: string): Promise<SessionCheck | null> {
    const session = await this.get(sessionId);
    return session ? { id: session.id, userId: session.userId, lastUsedAt: session.lastUsedAt } : null;
  }

  async touch(sessionId: string, now: Date): Promise<void> {
    const entry = this.#sessions.get(sessionId);
    if (entry && now.getTime() - entry.session.lastUsedAt.getTime() >= TOUCH_THROTTLE_MS) {
      entry.session.lastUsedAt = new Date(now.getTime());
    }
  }

  async revoke(sessionId: string): Promise<boolean> {
    const entry = this.#sessions.get(sessionId);
    if (!entry) return false;
    this.#remove(sessionId);
    return isSessionLive(entry.session, this.#clock.now());
  }

  async revokeAllForUser(userId: string, exceptSessionId?: string): Promise<number> {
    const now = this.#clock.now();
    let count = 0;
    for (const id of [...(this.#byUser.get(userId) ?? [])]) {
      if (id === exceptSessionId) continue;
      const entry = this.#sessions.get(id);
      if (entry && isSessionLive(entry.session, now)) count++;
      this.#remove(id);
    }
    return count;
  }

  async ping(): Promise<void> {}

  /** The entry if live; a dead one is dropped on the way. */
  #live(sessionId: string, now: Date): Entry | null {
    const entry = this.#sessions.get(sessionId);
    if (!entry) return null;
    if (isSessionLive(entry.session, now)) return entry;
    this.#remove(sessionId);
    return null;
  }

  #remove(sessionId: string): void {
    const entry = this.#sessions.get(sessionId);
    if (!entry) return;
    this.#sessions.delete(sessionId);
    const ids = this.#byUser.get(entry.session.userId);
    ids?.delete(sessionId);
    if (ids?.size === 0) this.#byUser.delete(entry.session.userId);
  }

  #wrote(): void {
    if (++this.#writes % SWEEP_EVERY_WRITES !== 0) return;
    const now = this.#clock.now();
    for (const [id, entry] of this.#sessions) if (!isSessionLive(entry.session, now)) this.#remove(id);
  }
}

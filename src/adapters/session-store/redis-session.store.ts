import type { Clock } from "../../application/ports/security.port.js";
import type { RotateRefreshInput, RotateRefreshResult, SessionCheck, SessionStore } from "../../application/ports/session-store.port.js";
import { isSessionLive, type Session } from "../../domain/session.js";
import { RedisScript, sendRaw, withDeadline, type RedisHandle } from "../redis/redis-client.js";

export interface RedisSessionStoreOptions {
  /** Namespace for every key; default "ha:". */
  prefix?: string;
  /** Deadline per store call; default 2000 ms. */
  timeoutMs?: number;
}

const DEPENDENCY = "sessionStore";
/** Rotated-out hashes remembered per session, enough to recognise any realistic replay. */
const MAX_OLD_HASHES = 100;
/** lastUsedAt is informational; writing it on every request would double Redis traffic. */
const TOUCH_THROTTLE_MS = 60_000;
/** The fields `check` reads: four of the session's nine. */
const CHECK_FIELDS = ["userId", "lastUsedAt", "expiresAt", "absoluteExpiresAt"];
/** Sessions removed at once by revokeAllForUser. */
const REVOKE_BATCH = 500;

/*
 * One session = two keys sharing the hash tag {s:<id>}, so the rotation script touches a
 * single slot (Redis Cluster-ready): the session hash and a sorted set of rotated-out refresh
 * hashes scored by rotation time. Times are epoch ms from the caller's clock, and expiry is
 * checked against that clock too; the Redis TTL only reclaims memory.
 */
const ROTATE = new RedisScript(`
local sess, old = KEYS[1], KEYS[2]
local presented, nexth = ARGV[1], ARGV[2]
local now, grace, nextExp, maxOld = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local f = redis.call('HMGET', sess, 'refreshTokenHash', 'expiresAt', 'absoluteExpiresAt', 'userId')
local current = f[1]
if not current then return {'invalid'} end
if tonumber(f[2]) <= now or tonumber(f[3]) <= now then return {'invalid'} end
if current == presented then
  redis.call('ZADD', old, now, current)
  redis.call('ZREMRANGEBYRANK', old, 0, -(maxOld + 1))
  redis.call('HSET', sess, 'refreshTokenHash', nexth, 'lastUsedAt', now, 'expiresAt', nextExp)
  local ttl = nextExp - now
  if ttl < 1 then ttl = 1 end
  redis.call('PEXPIRE', sess, ttl)
  redis.call('PEXPIRE', old, ttl)
  return {'rotated', redis.call('HGETALL', sess)}
end
local rotatedAt = redis.call('ZSCORE', old, presented)
if not rotatedAt then return {'invalid'} end
-- A racing request with the same old token derives the same successor: benign, hand back the
-- session as it is. Anything else is a replay of a stolen token.
if now - tonumber(rotatedAt) <= grace and current == nexth then
  return {'rotated', redis.call('HGETALL', sess)}
end
redis.call('DEL', sess, old)
return {'reused', f[4]}
`);

const TOUCH = new RedisScript(`
local last = redis.call('HGET', KEYS[1], 'lastUsedAt')
if not last then return 0 end
if tonumber(ARGV[1]) - tonumber(last) >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'lastUsedAt', ARGV[1])
  return 1
end
return 0
`);

/** Extends the index TTL to cover its longest-lived member, never shortens it. */
const INDEX_ADD = new RedisScript(`
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[3])
local pttl = redis.call('PTTL', KEYS[1])
if pttl < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`);

export class RedisSessionStore implements SessionStore {
  readonly #redis: RedisHandle;
  readonly #clock: Clock;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(redis: RedisHandle, clock: Clock, options: RedisSessionStoreOptions = {}) {
    this.#redis = redis;
    this.#clock = clock;
    this.#prefix = options.prefix ?? "ha:";
    this.#timeoutMs = options.timeoutMs ?? 2000;
  }

  async create(session: Session): Promise<void> {
    const now = this.#clock.now().getTime();
    const key = this.#sessionKey(session.id);
    await this.#call(async () => {
      // Index first: a session missing from its user's index would survive "sign out everywhere".
      await INDEX_ADD.run(this.#redis, [this.#userKey(session.userId)], [
        session.absoluteExpiresAt.getTime(),
        session.id,
        Math.max(1, session.absoluteExpiresAt.getTime() - now),
      ]);
      await this.#redis
        .multi()
        .del([key, this.#oldKey(session.id)])
        .hSet(key, toHash(session))
        .pExpire(key, Math.max(1, session.expiresAt.getTime() - now))
        .exec();
    });
  }

  async get(sessionId: string): Promise<Session | null> {
    const hash = await this.#call(() => this.#redis.hGetAll(this.#sessionKey(sessionId)));
    const session = fromHash(hash as Record<string, string>);
    return session && isSessionLive(session, this.#clock.now()) ? session : null;
  }

  async check(sessionId: string): Promise<SessionCheck | null> {
    const key = this.#sessionKey(sessionId);
    const [userId, lastUsedAt, expiresAt, absoluteExpiresAt] = await this.#call(() => sendRaw<Array<string | null>>(this.#redis, key, ["HMGET", key, ...CHECK_FIELDS], true));
    if (typeof userId !== "string" || lastUsedAt == null || expiresAt == null || absoluteExpiresAt == null) return null;
    const now = this.#clock.now().getTime();
    if (Number(expiresAt) <= now || Number(absoluteExpiresAt) <= now) return null;
    return { id: sessionId, userId, lastUsedAt: new Date(Number(lastUsedAt)) };
  }

  async listByUser(userId: string): Promise<Session[]> {
    const now = this.#clock.now();
    const indexKey = this.#userKey(userId);
    return this.#call(async () => {
      await this.#redis.zRemRangeByScore(indexKey, "-inf", now.getTime());
      const ids = await this.#redis.zRange(indexKey, 0, -1);
      // Separate single-key reads (pipelined by the client): the sessions live in other slots.
      const hashes = await Promise.all(ids.map((id) => this.#redis.hGetAll(this.#sessionKey(id))));
      const live: Session[] = [];
      const dead: string[] = [];
      ids.forEach((id, i) => {
        const session = fromHash(hashes[i] as Record<string, string>);
        if (session && isSessionLive(session, now)) live.push(session);
        else dead.push(id);
      });
      if (dead.length > 0) await this.#redis.zRem(indexKey, dead);
      return live.sort(byCreation);
    });
  }

  async rotate(input: RotateRefreshInput): Promise<RotateRefreshResult> {
    const reply = await this.#call(() =>
      ROTATE.run(this.#redis, [this.#sessionKey(input.sessionId), this.#oldKey(input.sessionId)], [
        input.presentedHash,
        input.nextHash,
        input.now.getTime(),
        input.graceMs,
        input.nextExpiresAt.getTime(),
        MAX_OLD_HASHES,
      ]),
    );
    if (!Array.isArray(reply)) throw new Error("unexpected reply from the rotation script");
    const [status, payload] = reply as [unknown, unknown];
    if (status === "rotated") {
      const session = fromHash(pairsToRecord(payload));
      if (!session) throw new Error("rotation script returned an unreadable session");
      return { status: "rotated", session };
    }
    if (status === "reused") {
      const userId = String(payload);
      // Index cleanup lives in another slot and is best effort (listByUser drops dead ids
      // anyway): failing here must not hide the theft from the caller, who notifies the user.
      await this.#call(() => this.#redis.zRem(this.#userKey(userId), input.sessionId)).catch(() => {});
      return { status: "reused", userId };
    }
    return { status: "invalid" };
  }

  async touch(sessionId: string, now: Date): Promise<void> {
    await this.#call(() => TOUCH.run(this.#redis, [this.#sessionKey(sessionId)], [now.getTime(), TOUCH_THROTTLE_MS]));
  }

  async revoke(sessionId: string): Promise<boolean> {
    const now = this.#clock.now();
    return this.#call(async () => {
      const removed = await this.#removeSession(sessionId, now);
      if (removed.userId !== null) await this.#redis.zRem(this.#userKey(removed.userId), sessionId);
      return removed.wasLive;
    });
  }

  async revokeAllForUser(userId: string, exceptSessionId?: string): Promise<number> {
    const now = this.#clock.now();
    const indexKey = this.#userKey(userId);
    const ids = (await this.#call(() => this.#redis.zRange(indexKey, 0, -1))).filter((id) => id !== exceptSessionId);
    // One transaction per session (its own slot), never one command spanning slots; in batches,
    // each with its own deadline, so an account with a great many sessions neither fills the
    // client's queue nor turns into a 503 merely for being large.
    let live = 0;
    for (let start = 0; start < ids.length; start += REVOKE_BATCH) {
      const batch = ids.slice(start, start + REVOKE_BATCH);
      live += await this.#call(async () => {
        const results = await Promise.all(batch.map((id) => this.#removeSession(id, now)));
        await this.#redis.zRem(indexKey, batch);
        return results.filter((r) => r.wasLive).length;
      });
    }
    return live;
  }

  async ping(): Promise<void> {
    await this.#call(() => this.#redis.ping());
  }

  async #removeSession(sessionId: string, now: Date): Promise<{ userId: string | null; wasLive: boolean }> {
    const key = this.#sessionKey(sessionId);
    const replies = await this.#redis
      .multi()
      .hmGet(key, ["userId", "expiresAt", "absoluteExpiresAt"])
      .del([key, this.#oldKey(sessionId)])
      .exec();
    const [userId, expiresAt, absoluteExpiresAt] = (replies[0] ?? []) as Array<string | null>;
    if (userId === null || userId === undefined) return { userId: null, wasLive: false };
    const t = now.getTime();
    return { userId, wasLive: Number(expiresAt) > t && Number(absoluteExpiresAt) > t };
  }

  #call<T>(fn: () => Promise<T>): Promise<T> {
    return withDeadline(fn(), this.#timeoutMs, DEPENDENCY);
  }

  #sessionKey(sessionId: string): string {
    return `${this.#prefix}{s:${sessionId}}`;
  }

  #oldKey(sessionId: string): string {
    return `${this.#prefix}{s:${sessionId}}:old`;
  }

  #userKey(userId: string): string {
    return `${this.#prefix}{u:${userId}}:sessions`;
  }
}

function byCreation(a: Session, b: Session): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function toHash(s: Session): Record<string, string> {
  const hash: Record<string, string> = {
    id: s.id,
    userId: s.userId,
    refreshTokenHash: s.refreshTokenHash,
    createdAt: String(s.createdAt.getTime()),
    lastUsedAt: String(s.lastUsedAt.getTime()),
    expiresAt: String(s.expiresAt.getTime()),
    absoluteExpiresAt: String(s.absoluteExpiresAt.getTime()),
  };
  // Absent field = null, so "" stays distinguishable from "not sent".
  if (s.userAgent !== null) hash.userAgent = s.userAgent;
  if (s.ip !== null) hash.ip = s.ip;
  return hash;
}

function fromHash(h: Record<string, string>): Session | null {
  const { id, userId, refreshTokenHash, createdAt, lastUsedAt, expiresAt, absoluteExpiresAt } = h;
  if (
    id === undefined ||
    userId === undefined ||
    refreshTokenHash === undefined ||
    createdAt === undefined ||
    lastUsedAt === undefined ||
    expiresAt === undefined ||
    absoluteExpiresAt === undefined
  ) {
    return null;
  }
  return {
    id,
    userId,
    refreshTokenHash,
    userAgent: h.userAgent ?? null,
    ip: h.ip ?? null,
    createdAt: new Date(Number(createdAt)),
    lastUsedAt: new Date(Number(lastUsedAt)),
    expiresAt: new Date(Number(expiresAt)),
    absoluteExpiresAt: new Date(Number(absoluteExpiresAt)),
  };
}

function pairsToRecord(flat: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  if (!Array.isArray(flat)) return record;
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = String(flat[i + 1]);
  return record;
}

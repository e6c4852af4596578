import { LRUCache } from "lru-cache";
import type { AttemptCounter, AttemptDecision } from "../../application/ports/attempt-counter.port.js";
import { ATTEMPT_IN_FLIGHT_SECONDS, type AttemptPolicy } from "../../domain/lockout.policy.js";
import { RedisScript, sendRaw, withDeadline, type RedisHandle } from "../redis/redis-client.js";

export interface RedisAttemptCounterOptions {
  /** Namespace for every key; default "ha:". */
  prefix?: string;
  /** Deadline per call; default 2000 ms. */
  timeoutMs?: number;
  /**
   * How long a block this process read or started is answered from its memory (knownBlockedFor,
   * blockedFor) before Redis is asked again; default 1000 ms, 0 = never. The bound on how long
   * another instance's unlock (a password reset) takes to reach this one. Blocks only: that a
   * key is not blocked is never remembered, and reserve always asks Redis.
   */
  rememberBlocksMs?: number;
}

/** Blocked keys remembered per process (least recently used dropped first). */
const REMEMBERED_BLOCKS = 10_000;

interface KnownBlock {
  untilMs: number;
  /** Answered from memory until then. */
  freshUntilMs: number;
}

// Same Redis as the sessions: when it is down, sign-in is down with it and says so as one dependency.
const DEPENDENCY = "sessionStore";

/*
 * Keys of one counted key share the hash tag {att:<key>}, so each script stays in one slot:
 *   :f  hash {start, count, pending, pendingAt}  attempts counted in a fixed window that opens
 *                              at the first one; `pending` of them are still in flight, the latest
 *                              reserved at `pendingAt` (after ATTEMPT_IN_FLIGHT_SECONDS they count
 *                              as failures: their verdict never arrived)
 *   :b  string (epoch ms)       blocked until
 *   :n  hash {n, forgetAt}      blocks so far, for escalation
 * Every instant is the caller's `now`, never Redis TIME, so one clock rules every instance (and
 * tests can move it); Redis TTLs only reclaim memory and always outlast the logical lifetime.
 *
 * Escalation memory runs from the end of the last block, not its start: with the default policy
 * (24 h cap, 24 h memory) counting from the start would forget a capped block the moment it
 * ends and hand a persistent attacker a fresh 15-minute block.
 *
 * Check, count and block in one script so parallel guesses cannot slip past the threshold.
 *
 * KEYS: failures, blockedUntil, blocks. ARGV: now, threshold, windowMs, baseMs, maxMs, memoryMs,
 * inFlightMs.
 * Reply: {1, count} | {0, retryAfterMs, newlyBlocked (0|1)} | {2} (busy: attempts in flight fill
 * the budget; refused without a block).
 */
const RESERVE = new RedisScript(`
local now, threshold, windowMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local baseMs, maxMs, memoryMs = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local blockedUntil = tonumber(redis.call('GET', KEYS[2]) or '0')
if blockedUntil > now then return {0, blockedUntil - now, 0} end
local f = redis.call('HMGET', KEYS[1], 'start', 'count', 'pending', 'pendingAt')
local start, count, pending = tonumber(f[1]), tonumber(f[2] or '0'), tonumber(f[3] or '0')
if not start or count == 0 or now >= start + windowMs then
  start = now
  count = 0
  pending = 0
end
if pending > 0 and now - tonumber(f[4] or '0') >= tonumber(ARGV[7]) then
  pending = 0
  redis.call('HSET', KEYS[1], 'pending', 0)
end
if count < threshold then
  redis.call('HSET', KEYS[1], 'start', start, 'count', count + 1, 'pending', pending + 1, 'pendingAt', now)
  redis.call('PEXPIRE', KEYS[1], math.max(start + windowMs - now, 1))
  return {1, count + 1}
end
if count - pending < threshold then return {2} end
local m = redis.call('HMGET', KEYS[3], 'n', 'forgetAt')
local n = tonumber(m[1] or '0')
if tonumber(m[2] or '0') <= now then n = 0 end
n = n + 1
local blockMs = math.floor(math.min(baseMs * 2 ^ math.max(0, math.min(n - 1, 30)), maxMs))
local untilMs = now + blockMs
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], untilMs, 'PX', math.max(blockMs, 1))
redis.call('HSET', KEYS[3], 'n', n, 'forgetAt', untilMs + memoryMs)
redis.call('PEXPIRE', KEYS[3], math.max(blockMs + memoryMs, 1))
return {0, blockMs, 1}
`);

/*
 * An operator lock never shortens a longer block already in force.
 * KEYS: blockedUntil. ARGV: now, ms.
 */
/** One attempt in flight given back: count and pending down by one, never below zero. */
const FORGIVE = new RedisScript(`
local f = redis.call('HMGET', KEYS[1], 'count', 'pending')
if tonumber(f[1] or '0') > 0 then redis.call('HINCRBY', KEYS[1], 'count', -1) end
if tonumber(f[2] or '0') > 0 then redis.call('HINCRBY', KEYS[1], 'pending', -1) end
return 0
`);

/** One attempt in flight settled as a failure: it stays counted. */
const SETTLE_FAILURE = new RedisScript(`
if tonumber(redis.call('HGET', KEYS[1], 'pending') or '0') > 0 then redis.call('HINCRBY', KEYS[1], 'pending', -1) end
return 0
`);

/** A success: settled failures go with it; attempts still in flight stay counted. */
const CLEAR_FAILURES = new RedisScript(`
local pending = tonumber(redis.call('HGET', KEYS[1], 'pending') or '0') - 1
if pending <= 0 then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'count', pending, 'pending', pending)
end
return 0
`);

const BLOCK = new RedisScript(`
local now, ms = tonumber(ARGV[1]), tonumber(ARGV[2])
local untilMs = now + ms
if tonumber(redis.call('GET', KEYS[1]) or '0') >= untilMs then return 0 end
redis.call('SET', KEYS[1], untilMs, 'PX', ms)
return 1
`);

export class RedisAttemptCounter implements AttemptCounter {
  readonly #redis: RedisHandle;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #rememberMs: number;
  readonly #known = new LRUCache<string, KnownBlock>({ max: REMEMBERED_BLOCKS });

  constructor(redis: RedisHandle, options: RedisAttemptCounterOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? "ha:";
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#rememberMs = Math.max(0, options.rememberBlocksMs ?? 1000);
  }

  async reserve(key: string, policy: AttemptPolicy, now: Date): Promise<AttemptDecision> {
    const k = this.#keys(key);
    const reply = await this.#call(() =>
      RESERVE.run(this.#redis, [k.failures, k.blockedUntil, k.blocks], [
        now.getTime(),
        policy.threshold,
        toMs(policy.windowSeconds),
        toMs(policy.baseBlockSeconds),
        toMs(policy.maxBlockSeconds),
        toMs(policy.escalationMemorySeconds),
        toMs(ATTEMPT_IN_FLIGHT_SECONDS),
      ]),
    );
    if (!Array.isArray(reply)) throw new Error("unexpected reply from the reserve script");
    const [allowed, value, newlyBlocked] = (reply as unknown[]).map(Number) as [number, number, number | undefined];
    if (allowed === 1) return { allowed: true, failures: value };
    if (allowed === 2) return { allowed: false, retryAfterSeconds: 1, newlyBlocked: false, busy: true };
    this.#remember(key, now.getTime() + value, now);
    return { allowed: false, retryAfterSeconds: seconds(value), newlyBlocked: newlyBlocked === 1 };
  }

  async settleFailure(key: string): Promise<void> {
    await this.#call(() => SETTLE_FAILURE.run(this.#redis, [this.#keys(key).failures], []));
  }

  async clearFailures(key: string): Promise<void> {
    await this.#call(() => CLEAR_FAILURES.run(this.#redis, [this.#keys(key).failures], []));
  }

  async forgive(key: string): Promise<void> {
    await this.#call(() => FORGIVE.run(this.#redis, [this.#keys(key).failures], []));
  }

  async reset(key: string): Promise<void> {
    this.#known.delete(key);
    const k = this.#keys(key);
    await this.#call(() => this.#redis.del([k.failures, k.blockedUntil, k.blocks]));
  }

  async block(key: string, seconds: number, now: Date): Promise<void> {
    const ms = toMs(seconds);
    if (ms <= 0) return;
    // A longer block than the one remembered: read it afresh next time.
    this.#known.delete(key);
    await this.#call(() => BLOCK.run(this.#redis, [this.#keys(key).blockedUntil], [now.getTime(), ms]));
  }

  async blockedFor(key: string, now: Date): Promise<number> {
    const known = this.knownBlockedFor(key, now);
    if (known !== null) return known;
    const blockedUntil = this.#keys(key).blockedUntil;
    const raw = await this.#call(() => sendRaw<string | null>(this.#redis, blockedUntil, ["GET", blockedUntil], true));
    const untilMs = Number(raw ?? 0);
    const remainingMs = untilMs - now.getTime();
    // Nothing is remembered for this key here: knownBlockedFor dropped it or never had it.
    if (remainingMs <= 0) return 0;
    this.#remember(key, untilMs, now);
    return Math.ceil(remainingMs / 1000);
  }

  knownBlockedFor(key: string, now: Date): number | null {
    const known = this.#known.get(key);
    if (!known) return null;
    const t = now.getTime();
    if (t >= known.freshUntilMs) {
      this.#known.delete(key);
      return null;
    }
    return Math.ceil((known.untilMs - t) / 1000);
  }

  #remember(key: string, untilMs: number, now: Date): void {
    if (this.#rememberMs <= 0) return;
    const t = now.getTime();
    // Never past the block's end: from then on only Redis can say whether another one began.
    const freshUntilMs = Math.min(t + this.#rememberMs, untilMs);
    if (freshUntilMs > t) this.#known.set(key, { untilMs, freshUntilMs });
  }

  #call<T>(fn: () => Promise<T>): Promise<T> {
    return withDeadline(fn(), this.#timeoutMs, DEPENDENCY);
  }

  #keys(key: string) {
    const base = `${this.#prefix}{att:${key}}`;
    return { failures: `${base}:f`, blockedUntil: `${base}:b`, blocks: `${base}:n` };
  }
}

function toMs(seconds: number): number {
  return Math.max(0, Math.round(seconds * 1000));
}

/** A refusal always tells the client to wait at least a second. */
function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

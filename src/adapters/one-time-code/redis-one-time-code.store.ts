import type {
  ConsumeCodeInput,
  ConsumeCodeResult,
  IssueCodeInput,
  IssueCodeResult,
  OneTimeCodeStore,
} from "../../application/ports/one-time-code-store.port.js";
import type { Clock } from "../../application/ports/security.port.js";
import type { CodePurpose } from "../../domain/one-time-code.policy.js";
import { RedisScript, withDeadline, type RedisHandle } from "../redis/redis-client.js";

export interface RedisOneTimeCodeStoreOptions {
  /** Namespace for every key; default "ha:". */
  prefix?: string;
  /** Deadline per store call; default 2000 ms. */
  timeoutMs?: number;
}

const DEPENDENCY = "sessionStore";
const HOUR_MS = 3_600_000;

/*
 * Keys of one (purpose, subject) share the hash tag {otp:<purpose>:<subject>}, so each script
 * stays in one slot. Expiry, cooldown and the hourly window are stored as timestamps from the
 * caller's clock and checked against it; Redis TTLs only reclaim memory.
 *
 * KEYS: code, cooldown, hourly. ARGV: codeHash, now, ttlMs, cooldownMs, hourlyCap, windowMs,
 * bypassCooldown ("1" or "0").
 */
const ISSUE = new RedisScript(`
local now, ttl, cd, cap, window = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local cdUntil = tonumber(redis.call('GET', KEYS[2]) or '0')
if cdUntil > now and ARGV[7] ~= '1' then return {'cooldown', cdUntil - now} end
local w = redis.call('HMGET', KEYS[3], 'count', 'resetAt')
local count, resetAt = tonumber(w[1] or '0'), tonumber(w[2] or '0')
if resetAt <= now then
  count = 0
  resetAt = now + window
end
if count >= cap then return {'hourly-cap', resetAt - now} end
redis.call('HSET', KEYS[3], 'count', count + 1, 'resetAt', resetAt)
redis.call('PEXPIRE', KEYS[3], resetAt - now)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'attempts', 0, 'expiresAt', now + ttl)
redis.call('PEXPIRE', KEYS[1], math.max(ttl, 1))
if cd > 0 then redis.call('SET', KEYS[2], now + cd, 'PX', cd) end
return {'issued'}
`);

/*
 * Check, count and delete in one step: parallel wrong guesses are serialised by Redis, so no
 * more than maxAttempts of them are ever compared. The values compared are keyed hashes, which
 * an attacker cannot choose byte by byte, so Lua's early-exit string equality leaks nothing.
 *
 * KEYS: code. ARGV: codeHash, now, maxAttempts.
 */
const CONSUME = new RedisScript(`
local f = redis.call('HMGET', KEYS[1], 'hash', 'attempts', 'expiresAt')
if not f[1] then return 'dead' end
local now, max = tonumber(ARGV[2]), tonumber(ARGV[3])
if tonumber(f[3]) <= now or tonumber(f[2]) >= max then
  redis.call('DEL', KEYS[1])
  return 'dead'
end
if f[1] == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 'ok'
end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if attempts >= max then redis.call('DEL', KEYS[1]) end
return 'invalid'
`);

export class RedisOneTimeCodeStore implements OneTimeCodeStore {
  readonly #redis: RedisHandle;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  /** The clock is unused: every call carries its own `now`. Kept for symmetry with the in-memory store. */
  constructor(redis: RedisHandle, _clock: Clock, options: RedisOneTimeCodeStoreOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? "ha:";
    this.#timeoutMs = options.timeoutMs ?? 2000;
  }

  async issue(input: IssueCodeInput): Promise<IssueCodeResult> {
    const key = this.#key(input.purpose, input.subject);
    const reply = await this.#call(() =>
      ISSUE.run(this.#redis, [key, `${key}:cooldown`, `${key}:hourly`], [
        input.codeHash,
        input.now.getTime(),
        input.ttlSeconds * 1000,
        input.cooldownSeconds * 1000,
        input.hourlyCap,
        HOUR_MS,
        input.bypassCooldown ? "1" : "0",
      ]),
    );
    if (!Array.isArray(reply)) throw new Error("unexpected reply from the issue script");
    const [status, waitMs] = reply as [unknown, unknown];
    if (status === "issued") return { issued: true };
    if (status === "cooldown" || status === "hourly-cap") {
      return { issued: false, reason: status, retryAfterSeconds: Math.max(1, Math.ceil(Number(waitMs) / 1000)) };
    }
    throw new Error(`unexpected status from the issue script: ${String(status)}`);
  }

  async consume(input: ConsumeCodeInput): Promise<ConsumeCodeResult> {
    const reply = await this.#call(() =>
      CONSUME.run(this.#redis, [this.#key(input.purpose, input.subject)], [
        input.codeHash,
        input.now.getTime(),
        input.maxAttempts,
      ]),
    );
    if (reply === "ok" || reply === "invalid" || reply === "dead") return reply;
    throw new Error(`unexpected reply from the consume script: ${String(reply)}`);
  }

  async revoke(purpose: CodePurpose, subject: string): Promise<void> {
    await this.#call(() => this.#redis.del(this.#key(purpose, subject)));
  }

  async ping(): Promise<void> {
    await this.#call(() => this.#redis.ping());
  }

  #call<T>(fn: () => Promise<T>): Promise<T> {
    return withDeadline(fn(), this.#timeoutMs, DEPENDENCY);
  }

  #key(purpose: CodePurpose, subject: string): string {
    return `${this.#prefix}{otp:${purpose}:${subject}}`;
  }
}

import type { AttemptCounter, AttemptDecision } from "../../application/ports/attempt-counter.port.js";
import { ATTEMPT_IN_FLIGHT_SECONDS, blockDurationSeconds, type AttemptPolicy } from "../../domain/lockout.policy.js";

/** Below this many tracked keys a sweep is not worth the scan. */
const MIN_SWEEP_SIZE = 1_000;

interface Entry {
  /** Attempts counted in the fixed window that opened at the first one; 0 means no window. */
  failures: number;
  /** Of those, attempts not settled yet. */
  pending: number;
  /** When the latest of them was reserved. */
  pendingAt: number;
  windowEndsAt: number;
  blockedUntil: number;
  blocks: number;
  forgetBlocksAt: number;
}

/**
 * Single-process AttemptCounter with the same semantics as RedisAttemptCounter (see there for
 * why escalation memory runs from the end of the last block). Time comes only from the `now`
 * arguments, and there is no await between read and write, so counting is atomic.
 */
export class InMemoryAttemptCounter implements AttemptCounter {
  readonly #entries = new Map<string, Entry>();
  #sweepAtSize = MIN_SWEEP_SIZE;

  /** Keys currently tracked (for tests of the memory bound). */
  get size(): number {
    return this.#entries.size;
  }

  async reserve(key: string, policy: AttemptPolicy, now: Date): Promise<AttemptDecision> {
    const t = now.getTime();
    this.#maybeSweep(t);
    const entry = this.#entries.get(key) ?? { failures: 0, pending: 0, pendingAt: 0, windowEndsAt: 0, blockedUntil: 0, blocks: 0, forgetBlocksAt: 0 };
    if (entry.blockedUntil > t) return { allowed: false, retryAfterSeconds: seconds(entry.blockedUntil - t), newlyBlocked: false };
    if (entry.failures === 0 || t >= entry.windowEndsAt) {
      entry.failures = 0;
      entry.pending = 0;
      entry.windowEndsAt = t + toMs(policy.windowSeconds);
    }
    if (entry.pending > 0 && t - entry.pendingAt >= toMs(ATTEMPT_IN_FLIGHT_SECONDS)) entry.pending = 0;
    this.#entries.set(key, entry);
    if (entry.failures < policy.threshold) {
      entry.failures++;
      entry.pending++;
      entry.pendingAt = t;
      return { allowed: true, failures: entry.failures };
    }
    if (entry.failures - entry.pending < policy.threshold) return { allowed: false, retryAfterSeconds: 1, newlyBlocked: false, busy: true };

    entry.blocks = entry.forgetBlocksAt > t ? entry.blocks + 1 : 1;
    const blockMs = toMs(blockDurationSeconds(policy, entry.blocks));
    entry.blockedUntil = t + blockMs;
    entry.forgetBlocksAt = entry.blockedUntil + toMs(policy.escalationMemorySeconds);
    entry.failures = 0;
    entry.pending = 0;
    entry.windowEndsAt = 0;
    return { allowed: false, retryAfterSeconds: seconds(blockMs), newlyBlocked: true };
  }

  async settleFailure(key: string): Promise<void> {
    const entry = this.#entries.get(key);
    if (entry && entry.pending > 0) entry.pending -= 1;
  }

  async clearFailures(key: string): Promise<void> {
    const entry = this.#entries.get(key);
    if (!entry) return;
    entry.pending = Math.max(0, entry.pending - 1);
    entry.failures = entry.pending;
    if (entry.failures === 0) entry.windowEndsAt = 0;
  }

  async forgive(key: string): Promise<void> {
    const entry = this.#entries.get(key);
    if (!entry) return;
    if (entry.failures > 0) entry.failures -= 1;
    if (entry.pending > 0) entry.pending -= 1;
  }

  async reset(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async block(key: string, seconds: number, now: Date): Promise<void> {
    const t = now.getTime();
    const ms = toMs(seconds);
    if (ms <= 0) return;
    this.#maybeSweep(t);
    const entry = this.#entries.get(key) ?? { failures: 0, pending: 0, pendingAt: 0, windowEndsAt: 0, blockedUntil: 0, blocks: 0, forgetBlocksAt: 0 };
    // An operator lock never shortens a longer block already in force.
    entry.blockedUntil = Math.max(entry.blockedUntil, t + ms);
    this.#entries.set(key, entry);
  }

  async blockedFor(key: string, now: Date): Promise<number> {
    return this.knownBlockedFor(key, now);
  }

  /** This store is the authority: it always knows. */
  knownBlockedFor(key: string, now: Date): number {
    const remainingMs = (this.#entries.get(key)?.blockedUntil ?? 0) - now.getTime();
    return remainingMs > 0 ? Math.ceil(remainingMs / 1000) : 0;
  }

  /*
   * Sweeps when the map has doubled since the last sweep: amortised O(1) per call, and the map
   * never holds more than about twice the keys that were live at the last sweep.
   */
  #maybeSweep(t: number): void {
    if (this.#entries.size < this.#sweepAtSize) return;
    for (const [key, e] of this.#entries) {
      const windowOver = e.failures === 0 || e.windowEndsAt <= t;
      if (windowOver && e.blockedUntil <= t && e.forgetBlocksAt <= t) this.#entries.delete(key);
    }
    this.#sweepAtSize = Math.max(MIN_SWEEP_SIZE, this.#entries.size * 2);
  }
}

function toMs(seconds: number): number {
  return Math.max(0, Math.round(seconds * 1000));
}

/** A refusal always tells the client to wait at least a second. */
function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

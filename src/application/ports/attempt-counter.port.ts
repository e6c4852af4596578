import type { AttemptPolicy } from "../../domain/lockout.policy.js";

export type AttemptDecision =
  | { allowed: true; failures: number }
  /** newlyBlocked is true for exactly one caller: the attempt that tipped the key into a block. */
  | { allowed: false; retryAfterSeconds: number; newlyBlocked: boolean };

/**
 * Atomic attempt counting, shared by every instance. An attempt is counted *before* the
 * password hash runs (and forgiven afterwards when it succeeds), so parallel guesses cannot
 * slip past the threshold between a check and an increment.
 */
export interface AttemptCounter {
  /**
   * Refuses when the key is blocked; otherwise counts one attempt. When the count passes
   * policy.threshold inside policy.windowSeconds the key is blocked for
   * blockDurationSeconds(policy, n) (n = blocks within escalationMemorySeconds) and refused.
   */
  reserve(key: string, policy: AttemptPolicy, now: Date): Promise<AttemptDecision>;
  /** Forgets counted failures (a correct password); an active block stays. */
  clearFailures(key: string): Promise<void>;
  /**
   * Gives back one counted attempt (the password was right), never below zero. Used for the
   * IP key, where clearing everything would let one valid account launder an attacker's count.
   */
  forgive(key: string): Promise<void>;
  /** Lifts any block and forgets failures and escalation (password reset, operator unlock). */
  reset(key: string): Promise<void>;
  /** Blocks the key now for `seconds` (operator lock). */
  block(key: string, seconds: number, now: Date): Promise<void>;
  /** Remaining block in seconds, 0 when not blocked. */
  blockedFor(key: string, now: Date): Promise<number>;
}

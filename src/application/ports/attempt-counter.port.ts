import type { AttemptPolicy } from "../../domain/lockout.policy.js";

export type AttemptDecision =
  | { allowed: true; failures: number }
  /**
   * newlyBlocked is true for exactly one caller: the attempt that tipped the key into a block.
   * busy: refused because attempts still in flight fill the budget; no block starts, and the
   * caller may try again in a second.
   */
  | { allowed: false; retryAfterSeconds: number; newlyBlocked: boolean; busy?: boolean };

/**
 * Atomic attempt counting, shared by every instance. An attempt is counted *before* the
 * password hash runs, as in flight, so parallel guesses cannot slip past the threshold between
 * a check and an increment; it then settles as a failure (`settleFailure`) or is given back
 * (`forgive`, `clearFailures`). Only settled failures start a block: attempts refused because
 * others are still in flight (a burst of correct sign-ins behind one NAT) block nobody.
 */
export interface AttemptCounter {
  /**
   * Refuses when the key is blocked. Otherwise, when threshold attempts are already counted in
   * the window: blocks the key for blockDurationSeconds(policy, n) (n = blocks within
   * escalationMemorySeconds) if that many have settled as failures, else refuses as busy.
   * Otherwise counts one attempt in flight.
   */
  reserve(key: string, policy: AttemptPolicy, now: Date): Promise<AttemptDecision>;
  /** The reserved attempt failed: it stays counted, no longer in flight. */
  settleFailure(key: string): Promise<void>;
  /**
   * The reserved attempt succeeded: settled failures are forgotten, with it; attempts still in
   * flight stay counted. An active block stays.
   */
  clearFailures(key: string): Promise<void>;
  /**
   * Gives back one attempt still in flight (right password, or no verdict), never below zero.
   * Used for the IP key, where clearing everything would let one valid account launder an
   * attacker's count.
   */
  forgive(key: string): Promise<void>;
  /** Lifts any block and forgets failures and escalation (password reset, operator unlock). */
  reset(key: string): Promise<void>;
  /** Blocks the key now for `seconds` (operator lock). */
  block(key: string, seconds: number, now: Date): Promise<void>;
  /** Remaining block in seconds, 0 when not blocked. */
  blockedFor(key: string, now: Date): Promise<number>;
  /**
   * The remaining block in seconds when this process knows it without asking anyone (a store in
   * memory knows; a shared store's adapter knows a block it read or started within the last
   * moment), else null: "not known", never "not blocked". Synchronous and free, so a driver can
   * refuse a blocked attempt before any I/O; blockedFor and reserve stay the authority.
   */
  knownBlockedFor(key: string, now: Date): number | null;
}

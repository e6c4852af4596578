import type { CodePurpose } from "../../domain/one-time-code.policy.js";

export interface IssueCodeInput {
  purpose: CodePurpose;
  /** Normalised email or user id the code belongs to. */
  subject: string;
  /** Keyed hash of the code; the code itself is never stored. */
  codeHash: string;
  now: Date;
  ttlSeconds: number;
  /** No new code within this many seconds of the previous one. */
  cooldownSeconds: number;
  /**
   * Issue even inside the previous code's cooldown (a replacement for a code just made void);
   * the hourly cap still applies and a new cooldown starts.
   */
  bypassCooldown?: boolean;
  /** At most this many codes per subject and purpose in a rolling hour. */
  hourlyCap: number;
}

export type IssueCodeResult = { issued: true } | { issued: false; reason: "cooldown" | "hourly-cap"; retryAfterSeconds: number };

export interface ConsumeCodeInput {
  purpose: CodePurpose;
  subject: string;
  codeHash: string;
  now: Date;
  maxAttempts: number;
}

/**
 * ok: matched, and the code is deleted (single use).
 * invalid: wrong guess, counted. dead: no code, expired, or attempts exhausted.
 */
export type ConsumeCodeResult = "ok" | "invalid" | "dead";

/**
 * One live code per (purpose, subject). The attempt counter and the compare-and-delete are
 * atomic, also across instances, so parallel guesses cannot exceed maxAttempts.
 */
export interface OneTimeCodeStore {
  issue(input: IssueCodeInput): Promise<IssueCodeResult>;
  consume(input: ConsumeCodeInput): Promise<ConsumeCodeResult>;
  /** Drops the live code and its counters (cooldown and hourly cap stay). */
  revoke(purpose: CodePurpose, subject: string): Promise<void>;
  ping(): Promise<void>;
}

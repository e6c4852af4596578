import { timingSafeEqual } from "node:crypto";
import type {
  ConsumeCodeInput,
  ConsumeCodeResult,
  IssueCodeInput,
  IssueCodeResult,
  OneTimeCodeStore,
} from "../../application/ports/one-time-code-store.port.js";
import type { Clock } from "../../application/ports/security.port.js";
import type { CodePurpose } from "../../domain/one-time-code.policy.js";

const HOUR_MS = 3_600_000;
const SWEEP_EVERY_WRITES = 1_000;

interface LiveCode {
  hash: string;
  attempts: number;
  expiresAt: number;
}

interface HourlyWindow {
  count: number;
  resetAt: number;
}

/**
 * Single-process OneTimeCodeStore with the same semantics as RedisOneTimeCodeStore. No await
 * between read and write, so counting a guess and deleting the code are atomic.
 */
export class InMemoryOneTimeCodeStore implements OneTimeCodeStore {
  readonly #clock: Clock;
  readonly #codes = new Map<string, LiveCode>();
  readonly #cooldownUntil = new Map<string, number>();
  readonly #hourly = new Map<string, HourlyWindow>();
  #writes = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async issue(input: IssueCodeInput): Promise<IssueCodeResult> {
    const key = keyOf(input.purpose, input.subject);
    const now = input.now.getTime();
    const cooldownUntil = this.#cooldownUntil.get(key) ?? 0;
    if (cooldownUntil > now && !input.bypassCooldown) return { issued: false, reason: "cooldown", retryAfterSeconds: seconds(cooldownUntil - now) };
    let window = this.#hourly.get(key);
    if (!window || window.resetAt <= now) window = { count: 0, resetAt: now + HOUR_MS };
    if (window.count >= input.hourlyCap) {
      return { issued: false, reason: "hourly-cap", retryAfterSeconds: seconds(window.resetAt - now) };
    }
    this.#hourly.set(key, { count: window.count + 1, resetAt: window.resetAt });
    this.#codes.set(key, { hash: input.codeHash, attempts: 0, expiresAt: now + input.ttlSeconds * 1000 });
    if (input.cooldownSeconds > 0) this.#cooldownUntil.set(key, now + input.cooldownSeconds * 1000);
    this.#wrote();
    return { issued: true };
  }

  async consume(input: ConsumeCodeInput): Promise<ConsumeCodeResult> {
    const key = keyOf(input.purpose, input.subject);
    const code = this.#codes.get(key);
    if (!code) return "dead";
    if (code.expiresAt <= input.now.getTime() || code.attempts >= input.maxAttempts) {
      this.#codes.delete(key);
      return "dead";
    }
    if (sameDigest(code.hash, input.codeHash)) {
      this.#codes.delete(key);
      return "ok";
    }
    code.attempts++;
    if (code.attempts >= input.maxAttempts) this.#codes.delete(key);
    return "invalid";
  }

  async revoke(purpose: CodePurpose, subject: string): Promise<void> {
    this.#codes.delete(keyOf(purpose, subject));
  }

  async ping(): Promise<void> {}

  #wrote(): void {
    if (++this.#writes % SWEEP_EVERY_WRITES !== 0) return;
    const now = this.#clock.now().getTime();
    for (const [key, code] of this.#codes) if (code.expiresAt <= now) this.#codes.delete(key);
    for (const [key, until] of this.#cooldownUntil) if (until <= now) this.#cooldownUntil.delete(key);
    for (const [key, window] of this.#hourly) if (window.resetAt <= now) this.#hourly.delete(key);
  }
}

function keyOf(purpose: CodePurpose, subject: string): string {
  return `${purpose}\u0000${subject}`;
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

import { inject, injectable } from "tsyringe";
import { InvalidCodeError, InvalidTokenError } from "../../domain/errors.js";
import {
  CODE_HOURLY_CAP,
  CODE_LENGTH,
  CODE_MAX_ATTEMPTS,
  CODE_RESEND_COOLDOWN_SECONDS,
  CODE_TTL_SECONDS,
  TOKEN_TTL_SECONDS,
  isWellFormedCode,
  type CodePurpose,
} from "../../domain/one-time-code.policy.js";
import type { OneTimeCodeStore } from "../ports/one-time-code-store.port.js";
import type { Clock, KeyedHasher, SecureRandom } from "../ports/security.port.js";
import { TOKENS } from "../tokens.js";

/**
 * Issuing and checking one-time codes: CSPRNG digits, stored only as an HMAC bound to purpose
 * and subject (a hash cannot be replayed for another address), attempts counted atomically by
 * the store.
 */
@injectable()
export class OneTimeCodes {
  constructor(
    @inject(TOKENS.OneTimeCodeStore) private readonly store: OneTimeCodeStore,
    @inject(TOKENS.KeyedHasher) private readonly hasher: KeyedHasher,
    @inject(TOKENS.SecureRandom) private readonly random: SecureRandom,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {}

  /**
   * A fresh code, or null when the cooldown or hourly cap says no mail should go out now.
   * `replacing`: the code in the mailbox was just made void (new credentials), so a replacement
   * goes out even inside the cooldown; the hourly cap still holds.
   */
  async issue(purpose: CodePurpose, subject: string, options: { replacing?: boolean } = {}, length = CODE_LENGTH): Promise<string | null> {
    const code = this.random.digits(length);
    const result = await this.store.issue({
      purpose,
      subject,
      codeHash: this.hash(purpose, subject, code),
      now: this.clock.now(),
      ttlSeconds: CODE_TTL_SECONDS,
      cooldownSeconds: CODE_RESEND_COOLDOWN_SECONDS,
      bypassCooldown: options.replacing === true,
      hourlyCap: CODE_HOURLY_CAP,
    });
    return result.issued ? code : null;
  }

  /** Consumes the code when it matches; otherwise throws InvalidCodeError (wrong, dead, expired alike). */
  async consume(purpose: CodePurpose, subject: string, code: string): Promise<void> {
    if (!isWellFormedCode(code)) throw new InvalidCodeError();
    const result = await this.store.consume({
      purpose,
      subject,
      codeHash: this.hash(purpose, subject, code),
      now: this.clock.now(),
      maxAttempts: CODE_MAX_ATTEMPTS,
    });
    if (result !== "ok") throw new InvalidCodeError();
  }

  /**
   * A single-use bearer token (reset, deletion): 256 random bits, stored as a keyed hash,
   * replacing any earlier one for the same purpose and subject.
   */
  async issueToken(purpose: CodePurpose, subject: string): Promise<string> {
    const token = this.random.token(32);
    const result = await this.store.issue({
      purpose,
      subject,
      codeHash: this.hash(purpose, subject, token),
      now: this.clock.now(),
      ttlSeconds: TOKEN_TTL_SECONDS,
      // Tokens are issued only after a code or password check, which carry their own limits.
      cooldownSeconds: 0,
      hourlyCap: 1000,
    });
    if (!result.issued) throw new InvalidTokenError("Too many tokens requested; try again later");
    return token;
  }

  /** Consumes a token; wrong, used or expired tokens all throw InvalidTokenError. */
  async consumeToken(purpose: CodePurpose, subject: string, token: string): Promise<void> {
    if (!/^[A-Za-z0-9_-]{20,200}$/.test(token)) throw new InvalidTokenError();
    const result = await this.store.consume({
      purpose,
      subject,
      codeHash: this.hash(purpose, subject, token),
      now: this.clock.now(),
      maxAttempts: CODE_MAX_ATTEMPTS,
    });
    if (result !== "ok") throw new InvalidTokenError();
  }

  revoke(purpose: CodePurpose, subject: string): Promise<void> {
    return this.store.revoke(purpose, subject);
  }

  private hash(purpose: CodePurpose, subject: string, code: string): string {
    return this.hasher.hash(`otp:${purpose}:${subject}`, code);
  }
}

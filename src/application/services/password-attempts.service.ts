import { inject, injectable } from "tsyringe";
import { TooManyAttemptsError } from "../../domain/errors.js";
import { EMAIL_LOCKOUT_POLICY, IP_LOCKOUT_POLICY, emailAttemptKey, ipAttemptKey } from "../../domain/lockout.policy.js";
import { inBackground } from "../background.js";
import { mails } from "../mail-templates.js";
import type { AttemptCounter } from "../ports/attempt-counter.port.js";
import type { Logger } from "../ports/logger.port.js";
import type { Mailer } from "../ports/mailer.port.js";
import type { Clock } from "../ports/security.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import type { AuthSettings } from "../settings.js";
import { TOKENS } from "../tokens.js";
import { AuditTrail } from "./audit-trail.service.js";

/**
 * Every password check (sign-in, change-password, request-delete) goes through here. The
 * attempt is counted before the hash runs, so a block is answered without hashing and
 * parallel guesses cannot outrun the counter; a correct password forgives the attempt.
 */
@injectable()
export class PasswordAttempts {
  constructor(
    @inject(TOKENS.AttemptCounter) private readonly counter: AttemptCounter,
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(TOKENS.Mailer) private readonly mailer: Mailer,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.AuthSettings) private readonly settings: AuthSettings,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(AuditTrail) private readonly audit: AuditTrail,
  ) {}

  /**
   * Runs `check` unless the email or the IP is blocked. Throws TooManyAttemptsError when
   * blocked; returns what `check` returned.
   */
  async guard(emailNormalized: string, ip: string | null, check: () => Promise<boolean>): Promise<boolean> {
    const now = this.clock.now();
    const byEmail = await this.counter.reserve(emailAttemptKey(emailNormalized), EMAIL_LOCKOUT_POLICY, now);
    if (!byEmail.allowed) {
      if (byEmail.newlyBlocked) await this.notifyLocked(emailNormalized, byEmail.retryAfterSeconds);
      throw new TooManyAttemptsError(byEmail.retryAfterSeconds);
    }
    if (ip) {
      const byIp = await this.counter.reserve(ipAttemptKey(ip), IP_LOCKOUT_POLICY, now);
      if (!byIp.allowed) {
        if (byIp.newlyBlocked) this.logger.warn({ ip }, "password attempts blocked for an IP");
        // No password was checked: the attempt reserved against the email is given back, so a
        // blocked IP cannot lock other people's accounts.
        await this.counter.forgive(emailAttemptKey(emailNormalized));
        throw new TooManyAttemptsError(byIp.retryAfterSeconds);
      }
    }
    let ok: boolean;
    try {
      ok = await check();
    } catch (err) {
      // The check never ran to a verdict (hash queue full → 503, store down): nothing was
      // guessed, so nothing counts. Otherwise load shedding would lock the account's owner out.
      await this.counter.forgive(emailAttemptKey(emailNormalized));
      if (ip) await this.counter.forgive(ipAttemptKey(ip));
      throw err;
    }
    if (ok) {
      await this.counter.clearFailures(emailAttemptKey(emailNormalized));
      // Only failures count against an IP: give back the attempt reserved above.
      if (ip) await this.counter.forgive(ipAttemptKey(ip));
    } else {
      await this.counter.settleFailure(emailAttemptKey(emailNormalized));
      if (ip) await this.counter.settleFailure(ipAttemptKey(ip));
    }
    return ok;
  }

  /**
   * Throws TooManyAttemptsError when the email or the IP is blocked right now, as guard would,
   * but only reads (nothing is counted, nobody is mailed): drivers may ask this ahead of guard
   * to refuse a blocked attempt sooner. Both keys are read at once.
   */
  async refuseIfBlocked(emailNormalized: string, ip: string | null): Promise<void> {
    const now = this.clock.now();
    const [byEmail, byIp] = await Promise.all([
      this.counter.blockedFor(emailAttemptKey(emailNormalized), now),
      ip ? this.counter.blockedFor(ipAttemptKey(ip), now) : 0,
    ]);
    refuseBlocked(byEmail, byIp);
  }

  /**
   * refuseIfBlocked without any I/O: throws when this process already knows the email or the IP
   * is blocked (see AttemptCounter.knownBlockedFor), returns when it does not know. A driver can
   * call it before anything else it waits for; refuseIfBlocked or guard still decide the rest.
   */
  refuseIfKnownBlocked(emailNormalized: string, ip: string | null): void {
    const now = this.clock.now();
    refuseBlocked(this.counter.knownBlockedFor(emailAttemptKey(emailNormalized), now), ip ? this.counter.knownBlockedFor(ipAttemptKey(ip), now) : null);
  }

  /** Seconds the email is still blocked for, 0 when it is not. */
  blockedFor(emailNormalized: string): Promise<number> {
    return this.counter.blockedFor(emailAttemptKey(emailNormalized), this.clock.now());
  }

  /** Operator lock: block password sign-in for the email now. */
  async lock(emailNormalized: string, seconds: number): Promise<void> {
    await this.counter.block(emailAttemptKey(emailNormalized), seconds, this.clock.now());
    await this.notifyLocked(emailNormalized, seconds);
  }

  /** A password reset or an operator unlock: the block and the failure history go. */
  unlock(emailNormalized: string): Promise<void> {
    return this.counter.reset(emailAttemptKey(emailNormalized));
  }

  /** Mails the owner once per block, and only when the address has an account. */
  private async notifyLocked(emailNormalized: string, seconds: number): Promise<void> {
    const user = await this.users.findByEmail(emailNormalized);
    this.logger.warn({ account: user ? user.id : null }, "password sign-in blocked for an email");
    if (!user) return;
    this.audit.record("account-locked", user.id, null, { seconds });
    const message = mails.accountLocked(user.email, this.settings.appName, Math.ceil(seconds / 60));
    inBackground(this.logger, "mail:account-locked", () => this.mailer.send(message));
  }
}

/** Seconds each key is blocked for (0 or null: not blocked, or not known to be): the email's block is named first. */
function refuseBlocked(byEmail: number | null, byIp: number | null): void {
  if (byEmail) throw new TooManyAttemptsError(byEmail);
  if (byIp) throw new TooManyAttemptsError(byIp);
}

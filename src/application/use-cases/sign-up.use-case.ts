import { inject, injectable } from "tsyringe";
import { assertValidEmail } from "../../domain/email.js";
import { EmailTakenError, ValidationError } from "../../domain/errors.js";
import { assertAcceptablePassword } from "../../domain/password.policy.js";
import { NAME_MAX_LENGTH, type User } from "../../domain/user.entity.js";
import { inBackground } from "../background.js";
import { mails } from "../mail-templates.js";
import type { Logger } from "../ports/logger.port.js";
import type { Mailer } from "../ports/mailer.port.js";
import type { Clock, PasswordHasher, SecureRandom } from "../ports/security.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import { OneTimeCodes } from "../services/one-time-codes.service.js";
import type { AuthSettings } from "../settings.js";
import { TOKENS } from "../tokens.js";

export interface SignUpInput {
  name: string;
  email: string;
  password: string;
}

export interface SignUpOutput {
  email: string;
}

/**
 * Creates an unverified account and mails a code. The answer is the same whether or not the
 * address is taken: a verified owner gets a notice mail instead, and an unverified account
 * (someone's abandoned or half-finished sign-up) gets its credentials replaced and a fresh code,
 * so a stale row never blocks the address.
 */
@injectable()
export class SignUp {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(TOKENS.PasswordHasher) private readonly passwords: PasswordHasher,
    @inject(OneTimeCodes) private readonly codes: OneTimeCodes,
    @inject(TOKENS.Mailer) private readonly mailer: Mailer,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.SecureRandom) private readonly random: SecureRandom,
    @inject(TOKENS.AuthSettings) private readonly settings: AuthSettings,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async execute(input: SignUpInput): Promise<SignUpOutput> {
    const name = input.name.trim();
    if (name.length === 0 || name.length > NAME_MAX_LENGTH)
      throw ValidationError.field("name", `Must be 1 to ${NAME_MAX_LENGTH} characters`);
    const emailNormalized = assertValidEmail(input.email);
    assertAcceptablePassword(input.password, emailNormalized);

    // Hash first on every path so that all three outcomes cost the same time.
    const passwordHash = await this.passwords.hash(input.password);
    const email = input.email.trim();
    const existing = await this.users.findByEmail(emailNormalized);

    // A passwordless account came from OAuth: it is somebody's, verified or not, and a password
    // sign-up must never take it over.
    if (existing?.isEmailVerified || (existing && existing.passwordHash === null)) {
      await this.notifyOwner(existing);
    } else if (existing) {
      await this.replacePending(existing, name, email, passwordHash);
    } else {
      await this.createAccount(name, email, emailNormalized, passwordHash);
    }
    return { email };
  }

  private async createAccount(name: string, email: string, emailNormalized: string, passwordHash: string): Promise<void> {
    const now = this.clock.now();
    try {
      await this.users.create({
        id: this.random.uuid(),
        name,
        email,
        emailNormalized,
        passwordHash,
        role: "user",
        avatar: null,
        isEmailVerified: false,
        lastLoginAt: null,
        createdAt: now,
        updatedAt: now,
        deactivatedAt: null,
        purgeAfter: null,
      });
    } catch (err) {
      // A parallel sign-up for the same address won the insert: answer as for an existing one.
      if (!(err instanceof EmailTakenError)) throw err;
      const winner = await this.users.findByEmail(emailNormalized);
      if (winner?.isEmailVerified || (winner && winner.passwordHash === null)) return this.notifyOwner(winner);
      if (winner) return this.replacePending(winner, name, email, passwordHash);
    }
    await this.sendCode(email, emailNormalized);
  }

  /**
   * An unverified account gets the new credentials. The code already in the mailbox dies with
   * them: otherwise someone who re-registers a victim's pending address would have their own
   * password activated when the victim enters the code (account pre-hijacking).
   */
  private async replacePending(pending: User, name: string, email: string, passwordHash: string): Promise<void> {
    await this.users.update(pending.id, { name, email, passwordHash, updatedAt: this.clock.now() });
    await this.codes.revoke("verify-email", pending.emailNormalized);
    // Inside the resend cooldown too: the code in the mailbox is dead, and without a new one
    // the address could not be verified until the cooldown passed.
    await this.sendCode(email, pending.emailNormalized, { replacing: true });
  }

  private async sendCode(email: string, emailNormalized: string, options: { replacing?: boolean } = {}): Promise<void> {
    const code = await this.codes.issue("verify-email", emailNormalized, options);
    if (code) this.mail(mails.verifyEmail(email, this.settings.appName, code));
  }

  private async notifyOwner(owner: User): Promise<void> {
    // The notice shares the code throttle, so repeated attempts do not flood the owner's inbox.
    const allowed = await this.codes.issue("signup-notice", owner.emailNormalized);
    if (allowed) this.mail(mails.signupNotice(owner.email, this.settings.appName));
  }

  private mail(message: ReturnType<typeof mails.verifyEmail>): void {
    inBackground(this.logger, "mail:" + message.tag, () => this.mailer.send(message));
  }
}

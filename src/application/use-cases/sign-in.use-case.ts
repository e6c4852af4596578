import { inject, injectable } from "tsyringe";
import { isPurgeDue } from "../../domain/account-deletion.policy.js";
import { normalizeEmail } from "../../domain/email.js";
import { EmailNotVerifiedError, InvalidCredentialsError } from "../../domain/errors.js";
import type { User } from "../../domain/user.entity.js";
import type { RequestMeta } from "../request-context.js";
import type { Clock, PasswordHasher } from "../ports/security.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import { AuditTrail } from "../services/audit-trail.service.js";
import { PasswordAttempts } from "../services/password-attempts.service.js";
import { SessionTokens, type SessionGrant } from "../services/session-tokens.service.js";
import { TOKENS } from "../tokens.js";

export interface SignInInput {
  email: string;
  password: string;
  meta: RequestMeta;
}

export interface SignInOutput extends SessionGrant {
  user: User;
}

@injectable()
export class SignIn {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(TOKENS.PasswordHasher) private readonly passwords: PasswordHasher,
    @inject(SessionTokens) private readonly sessionTokens: SessionTokens,
    @inject(PasswordAttempts) private readonly attempts: PasswordAttempts,
    @inject(AuditTrail) private readonly audit: AuditTrail,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {}

  /**
   * Refuses (TooManyAttemptsError) when the address or the IP is blocked now, without counting
   * an attempt. Optional: a driver may call it ahead of execute, alongside its own checks, to
   * answer a blocked sign-in sooner; execute checks again atomically either way.
   */
  refuseIfBlocked(input: Pick<SignInInput, "email" | "meta">): Promise<void> {
    return this.attempts.refuseIfBlocked(normalizeEmail(input.email), input.meta.ip);
  }

  /**
   * refuseIfBlocked from what this process already knows, without I/O (synchronous): throws when
   * the address or the IP is known to be blocked, returns when it is not known to be.
   */
  refuseIfKnownBlocked(input: Pick<SignInInput, "email" | "meta">): void {
    this.attempts.refuseIfKnownBlocked(normalizeEmail(input.email), input.meta.ip);
  }

  async execute(input: SignInInput): Promise<SignInOutput> {
    const emailNormalized = normalizeEmail(input.email);
    const lookup: { user: User | null } = { user: null };
    // The account is looked up inside the guard: a blocked address or IP is refused after one
    // counter call, without a database query (what keeps 429s fast during a flood).
    const ok = await this.attempts.guard(emailNormalized, input.meta.ip, async () => {
      const found = await this.users.findByEmail(emailNormalized);
      // Past its retention window an account is as good as erased, even before the purge runs.
      lookup.user = found && isPurgeDue(found, this.clock.now()) ? null : found;
      const passwordHash = lookup.user?.passwordHash;
      if (passwordHash) return this.passwords.verify(input.password, passwordHash);
      // Unknown address or OAuth-only account: burn a hash's worth of time, answer as for a wrong password.
      await this.passwords.verifyDummy(input.password);
      return false;
    });
    const user = lookup.user;
    if (!ok || !user) {
      this.audit.record("sign-in-failed", user?.id ?? null, input.meta);
      throw new InvalidCredentialsError();
    }
    // Revealed only after the right password, so it says nothing to someone guessing.
    if (!user.isEmailVerified) throw new EmailNotVerifiedError();

    const now = this.clock.now();
    const grant = await this.sessionTokens.start(user, input.meta, now);
    const updated = (await this.users.update(user.id, { lastLoginAt: now, updatedAt: now })) ?? user;
    this.audit.record("sign-in", user.id, input.meta, { sessionId: grant.session.id, method: "password" });
    return { ...grant, user: updated };
  }
}

import { inject, injectable } from "tsyringe";
import { assertValidEmail } from "../../domain/email.js";
import { EmailTakenError, ValidationError } from "../../domain/errors.js";
import { assertAcceptablePassword } from "../../domain/password.policy.js";
import { NAME_MAX_LENGTH, type User } from "../../domain/user.entity.js";
import type { Clock, PasswordHasher, SecureRandom } from "../ports/security.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import type { RequestMeta } from "../request-context.js";
import { AuditTrail } from "../services/audit-trail.service.js";
import { TOKENS } from "../tokens.js";

export interface CreateVerifiedUserInput {
  name: string;
  email: string;
  password: string;
  meta?: RequestMeta;
}

export interface CreateVerifiedUserOutput {
  user: User;
}

/**
 * Operator action: an account that can sign in at once, without the mailed code. Unlike SignUp
 * it says plainly that the address is taken (EMAIL_TAKEN): the operator is trusted, and a
 * silent success would leave someone else's password on a pending account. No mail is sent.
 */
@injectable()
export class CreateVerifiedUser {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(TOKENS.PasswordHasher) private readonly passwords: PasswordHasher,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.SecureRandom) private readonly random: SecureRandom,
    @inject(AuditTrail) private readonly audit: AuditTrail,
  ) {}

  async execute(input: CreateVerifiedUserInput): Promise<CreateVerifiedUserOutput> {
    const name = input.name.trim();
    if (name.length === 0 || name.length > NAME_MAX_LENGTH)
      throw ValidationError.field("name", `Must be 1 to ${NAME_MAX_LENGTH} characters`);
    const emailNormalized = assertValidEmail(input.email);
    assertAcceptablePassword(input.password, emailNormalized);
    if (await this.users.findByEmail(emailNormalized)) throw new EmailTakenError();

    const passwordHash = await this.passwords.hash(input.password);
    const now = this.clock.now();
    // A parallel creation of the same address loses here with EmailTakenError from the unique index.
    const user = await this.users.create({
      id: this.random.uuid(),
      name,
      email: input.email.trim(),
      emailNormalized,
      passwordHash,
      role: "user",
      avatar: null,
      isEmailVerified: true,
      lastLoginAt: null,
      createdAt: now,
      updatedAt: now,
      deactivatedAt: null,
      purgeAfter: null,
    });
    this.audit.record("sign-up", user.id, input.meta ?? null, { by: "operator", verified: true });
    return { user };
  }
}

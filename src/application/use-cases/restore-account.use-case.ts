import { inject, injectable } from "tsyringe";
import { normalizeEmail } from "../../domain/email.js";
import { UserNotFoundError } from "../../domain/errors.js";
import type { Clock } from "../ports/security.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import type { RequestMeta } from "../request-context.js";
import { AccountDeactivation } from "../services/account-deactivation.service.js";
import { TOKENS } from "../tokens.js";

export interface RestoreAccountInput {
  email: string;
  meta?: RequestMeta;
}

export interface RestoreAccountOutput {
  userId: string;
  /** Reactivate-scoped sessions the owner had opened while deactivated; they end. */
  revokedSessions: number;
}

/**
 * Operator reactivation inside the retention window (AccountDeactivation, as ReactivateAccount).
 * No session is started, since the operator is not the owner: the restricted sessions end and the
 * owner signs in again as usual.
 */
@injectable()
export class RestoreAccount {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(AccountDeactivation) private readonly deactivation: AccountDeactivation,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {}

  async execute(input: RestoreAccountInput): Promise<RestoreAccountOutput> {
    const user = await this.users.findByEmail(normalizeEmail(input.email));
    if (!user) throw new UserNotFoundError();

    const { revokedSessions } = await this.deactivation.reactivate(user, this.clock.now());
    this.deactivation.announceReactivation(user, input.meta ?? null, { by: "operator", revokedSessions });
    return { userId: user.id, revokedSessions };
  }
}

import { inject, injectable } from "tsyringe";
import { UserNotFoundError } from "../../domain/errors.js";
import type { User } from "../../domain/user.entity.js";
import type { Clock } from "../ports/security.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import type { RequestMeta } from "../request-context.js";
import { AccountDeactivation } from "../services/account-deactivation.service.js";
import { SessionTokens, type SessionGrant } from "../services/session-tokens.service.js";
import { TOKENS } from "../tokens.js";

export interface ReactivateAccountInput {
  userId: string;
  /** The reactivate-scoped session making the request. */
  sessionId: string;
  meta: RequestMeta;
}

export interface ReactivateAccountOutput extends SessionGrant {
  user: User;
}

/**
 * Undoes a soft delete inside the retention window (AccountDeactivation). The restricted sessions
 * opened while the account was deactivated all end (their tokens carry the reactivate scope), and
 * a fresh normal session is started for the caller, whose driver hands out the new tokens.
 */
@injectable()
export class ReactivateAccount {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(AccountDeactivation) private readonly deactivation: AccountDeactivation,
    @inject(SessionTokens) private readonly sessionTokens: SessionTokens,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {}

  async execute(input: ReactivateAccountInput): Promise<ReactivateAccountOutput> {
    const user = await this.users.findById(input.userId);
    if (!user) throw new UserNotFoundError();

    const now = this.clock.now();
    const { user: updated } = await this.deactivation.reactivate(user, now);
    const grant = await this.sessionTokens.start(updated, input.meta, now);
    this.deactivation.announceReactivation(user, input.meta, { sessionId: grant.session.id, previousSessionId: input.sessionId });
    return { ...grant, user: updated };
  }
}

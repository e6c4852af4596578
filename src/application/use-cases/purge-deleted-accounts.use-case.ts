import { inject, injectable } from "tsyringe";
import type { Logger } from "../ports/logger.port.js";
import type { Clock } from "../ports/security.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import { AccountEraser } from "../services/account-eraser.service.js";
import { AuditTrail } from "../services/audit-trail.service.js";
import { TOKENS } from "../tokens.js";

export interface PurgeDeletedAccountsInput {
  /** Defaults to the clock's time. */
  now?: Date;
  /** At most this many accounts in this run. */
  limit: number;
}

export interface PurgeDeletedAccountsOutput {
  /** Accounts listed as due. */
  examined: number;
  /** Accounts this run erased (its delete removed the row). */
  purged: number;
  /** Due accounts another run erased first. */
  alreadyGone: number;
  /** Accounts left for a later run because a dependency failed. */
  failed: number;
}

/**
 * Erases soft-deleted accounts whose retention window has closed. Safe with several instances
 * running it at once: AccountEraser tells exactly one run that it erased an account, so each
 * account is purged, and recorded as purged, once; and it deletes the row last, so a run that
 * fails half-way leaves the account listed for the next run.
 */
@injectable()
export class PurgeDeletedAccounts {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(AccountEraser) private readonly eraser: AccountEraser,
    @inject(AuditTrail) private readonly audit: AuditTrail,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async execute(input: PurgeDeletedAccountsInput): Promise<PurgeDeletedAccountsOutput> {
    const now = input.now ?? this.clock.now();
    const due = await this.users.listPurgeable(now, input.limit);
    const out: PurgeDeletedAccountsOutput = { examined: due.length, purged: 0, alreadyGone: 0, failed: 0 };
    for (const user of due) {
      try {
        if ((await this.eraser.erase(user)).erased) {
          out.purged++;
          // userId null: outside the erased trail, so a concurrent run erasing it cannot take this entry too.
          this.audit.record("account-purged", null, null, { userId: user.id, deactivatedAt: user.deactivatedAt?.toISOString() ?? null });
        } else {
          out.alreadyGone++;
        }
      } catch (err) {
        out.failed++;
        this.logger.warn({ err, account: user.id }, "purge of a deleted account failed; it stays due for the next run");
      }
    }
    return out;
  }
}

import { inject, injectable } from "tsyringe";
import { DELETE_TOKEN_PURPOSE } from "../../domain/account-deletion.policy.js";
import { AccountDeactivatedError, UserNotFoundError } from "../../domain/errors.js";
import { inBackground } from "../background.js";
import { mails } from "../mail-templates.js";
import type { AuditLog } from "../ports/audit-log.port.js";
import type { AvatarStorage } from "../ports/avatar-storage.port.js";
import type { Logger } from "../ports/logger.port.js";
import type { Mailer } from "../ports/mailer.port.js";
import type { SessionStore } from "../ports/session-store.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import type { RequestMeta } from "../request-context.js";
import { AuditTrail } from "../services/audit-trail.service.js";
import { OneTimeCodes } from "../services/one-time-codes.service.js";
import type { AuthSettings } from "../settings.js";
import { TOKENS } from "../tokens.js";

export interface HardDeleteAccountInput {
  userId: string;
  /** The token mailed by RequestAccountDeletion. */
  token: string;
  meta: RequestMeta;
}

export interface HardDeleteAccountOutput {
  revokedSessions: number;
}

/**
 * Erases the account now: avatar, sessions, audit trail and the user row (linked identities go
 * with the row through the foreign key's ON DELETE CASCADE). The address is free to sign up again.
 *
 * The avatar goes first: when the image store is down the request fails with the account intact
 * (the owner asks for a new token), instead of leaving an image nobody can find any more.
 * What remains is one tombstone entry outside any user's trail, holding only the opaque id.
 */
@injectable()
export class HardDeleteAccount {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(TOKENS.SessionStore) private readonly sessions: SessionStore,
    @inject(TOKENS.AvatarStorage) private readonly avatars: AvatarStorage,
    @inject(TOKENS.AuditLog) private readonly auditLog: AuditLog,
    @inject(OneTimeCodes) private readonly codes: OneTimeCodes,
    @inject(AuditTrail) private readonly audit: AuditTrail,
    @inject(TOKENS.Mailer) private readonly mailer: Mailer,
    @inject(TOKENS.AuthSettings) private readonly settings: AuthSettings,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async execute(input: HardDeleteAccountInput): Promise<HardDeleteAccountOutput> {
    const user = await this.users.findById(input.userId);
    if (!user) throw new UserNotFoundError();
    // A deactivated account has only a reactivate-scoped session, which cannot get here; the purge erases it.
    if (user.deactivatedAt) throw new AccountDeactivatedError();
    await this.codes.consumeToken(DELETE_TOKEN_PURPOSE, user.id, input.token);

    if (user.avatar) await this.avatars.remove(user.avatar.key);
    const revokedSessions = await this.sessions.revokeAllForUser(user.id);
    await this.auditLog.deleteForUser(user.id);
    const deleted = await this.users.delete(user.id);
    if (deleted) {
      // userId null: the account no longer exists, and no later erasure of the id should touch this entry.
      this.audit.record("account-hard-deleted", null, null, { userId: user.id });
      const message = mails.accountDeleted(user.email, this.settings.appName);
      inBackground(this.logger, "mail:account-deleted", () => this.mailer.send(message));
    }
    return { revokedSessions };
  }
}

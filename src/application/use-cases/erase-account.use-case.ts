import { inject, injectable } from "tsyringe";
import { normalizeEmail } from "../../domain/email.js";
import { UserNotFoundError } from "../../domain/errors.js";
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
import type { AuthSettings } from "../settings.js";
import { TOKENS } from "../tokens.js";

export interface EraseAccountInput {
  email: string;
  meta?: RequestMeta;
}

export interface EraseAccountOutput {
  userId: string;
  revokedSessions: number;
}

/**
 * Operator hard delete, without the owner's mailed token: the same erasure as HardDeleteAccount
 * and the purge (avatar first, so a down image store leaves the account intact rather than an
 * orphaned image; then sessions, audit trail, the row). Unlike the owner's hard delete it also
 * takes a deactivated account, so an erasure request need not wait for the retention window.
 */
@injectable()
export class EraseAccount {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(TOKENS.SessionStore) private readonly sessions: SessionStore,
    @inject(TOKENS.AvatarStorage) private readonly avatars: AvatarStorage,
    @inject(TOKENS.AuditLog) private readonly auditLog: AuditLog,
    @inject(AuditTrail) private readonly audit: AuditTrail,
    @inject(TOKENS.Mailer) private readonly mailer: Mailer,
    @inject(TOKENS.AuthSettings) private readonly settings: AuthSettings,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async execute(input: EraseAccountInput): Promise<EraseAccountOutput> {
    const user = await this.users.findByEmail(normalizeEmail(input.email));
    if (!user) throw new UserNotFoundError();

    if (user.avatar) await this.avatars.remove(user.avatar.key);
    const revokedSessions = await this.sessions.revokeAllForUser(user.id);
    await this.auditLog.deleteForUser(user.id);
    // Erased meanwhile by the purge or another operator: this call erased nothing.
    if (!(await this.users.delete(user.id))) throw new UserNotFoundError();

    // userId null: outside the erased trail, holding only the opaque id.
    this.audit.record("account-hard-deleted", null, input.meta ?? null, { userId: user.id, by: "operator" });
    const message = mails.accountDeleted(user.email, this.settings.appName);
    inBackground(this.logger, "mail:account-deleted", () => this.mailer.send(message));
    return { userId: user.id, revokedSessions };
  }
}

import { inject, injectable } from "tsyringe";
import type { User } from "../../domain/user.entity.js";
import { inBackground } from "../background.js";
import { mails } from "../mail-templates.js";
import type { AuditLog } from "../ports/audit-log.port.js";
import type { AvatarStorage } from "../ports/avatar-storage.port.js";
import type { Logger } from "../ports/logger.port.js";
import type { Mailer } from "../ports/mailer.port.js";
import type { SessionStore } from "../ports/session-store.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import type { RequestMeta } from "../request-context.js";
import type { AuthSettings } from "../settings.js";
import { TOKENS } from "../tokens.js";
import { AuditTrail } from "./audit-trail.service.js";

export interface Erasure {
  /** False when the row was already gone: another erasure (a purge, an operator) got there first. */
  erased: boolean;
  revokedSessions: number;
}

/**
 * The one way an account is erased, for the owner's hard delete, the operator's erase and the
 * purge: avatar, sessions, audit trail, then the user row (linked identities go with the row
 * through the foreign key's ON DELETE CASCADE).
 *
 * The avatar goes first: when the image store is down the erasure fails with the account intact,
 * instead of leaving an image nobody can find any more. The row goes last, so an erasure that
 * fails half-way leaves an account that can be erased again. Every step before the row delete is
 * idempotent, and the row delete tells exactly one caller that it erased the account.
 */
@injectable()
export class AccountEraser {
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

  async erase(user: Pick<User, "id" | "avatar">): Promise<Erasure> {
    if (user.avatar) await this.avatars.remove(user.avatar.key);
    const revokedSessions = await this.sessions.revokeAllForUser(user.id);
    // Entries still being written (the sign-in that preceded this request) go with the trail.
    await this.audit.settled(user.id);
    await this.auditLog.deleteForUser(user.id);
    const erased = await this.users.delete(user.id);
    return { erased, revokedSessions };
  }

  /**
   * After a hard delete (the owner's or an operator's; the purge records its own): the owner is
   * told, and one tombstone entry remains. userId null keeps it outside the erased trail, holding
   * only the opaque id, so no later erasure of the id touches it.
   */
  announceHardDelete(user: Pick<User, "id" | "email">, meta: RequestMeta | null, details: Record<string, unknown> = {}): void {
    this.audit.record("account-hard-deleted", null, meta, { userId: user.id, ...details });
    const message = mails.accountDeleted(user.email, this.settings.appName);
    inBackground(this.logger, "mail:account-deleted", () => this.mailer.send(message));
  }
}

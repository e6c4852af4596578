import { inject, injectable } from "tsyringe";
import { inBackground } from "../background.js";
import type { AuditEvent, AuditLog } from "../ports/audit-log.port.js";
import type { Logger } from "../ports/logger.port.js";
import type { Clock, SecureRandom } from "../ports/security.port.js";
import type { RequestMeta } from "../request-context.js";
import { TOKENS } from "../tokens.js";

/**
 * Records security events off the request path: a slow or failing audit store never fails or
 * slows a sign-in (failures are logged). Details must never hold secrets.
 */
@injectable()
export class AuditTrail {
  constructor(
    @inject(TOKENS.AuditLog) private readonly log: AuditLog,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.SecureRandom) private readonly random: SecureRandom,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  record(event: AuditEvent, userId: string | null, meta: RequestMeta | null, details: Record<string, unknown> = {}): void {
    const entry = {
      id: this.random.uuid(),
      userId,
      event,
      ip: meta?.ip ?? null,
      userAgent: meta?.userAgent?.slice(0, 512) ?? null,
      occurredAt: this.clock.now(),
      details,
    };
    if (!userId) return inBackground(this.logger, `audit:${event}`, () => this.log.record(entry));
    // Writes about one user are chained, so `settled(userId)` can wait for all of them.
    const previous = pendingByUser.get(userId) ?? Promise.resolve();
    const next = previous.then(() => this.log.record(entry));
    const tracked = next.catch(() => undefined);
    pendingByUser.set(userId, tracked);
    void tracked.then(() => {
      if (pendingByUser.get(userId) === tracked) pendingByUser.delete(userId);
    });
    inBackground(this.logger, `audit:${event}`, () => next);
  }

  /**
   * Resolves when every entry recorded so far for the user is written. Erasing a user's trail
   * waits for it, so a late "sign-in" entry cannot outlive the account it describes.
   */
  async settled(userId: string): Promise<void> {
    await pendingByUser.get(userId);
  }
}

/** Per process, shared by every AuditTrail instance (tsyringe builds one per consumer). */
const pendingByUser = new Map<string, Promise<unknown>>();

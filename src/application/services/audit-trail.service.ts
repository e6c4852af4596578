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
    inBackground(this.logger, `audit:${event}`, () => this.log.record(entry));
  }
}

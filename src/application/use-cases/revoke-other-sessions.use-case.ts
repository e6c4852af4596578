import { inject, injectable } from "tsyringe";
import type { SessionStore } from "../ports/session-store.port.js";
import type { RequestMeta } from "../request-context.js";
import { AuditTrail } from "../services/audit-trail.service.js";
import { TOKENS } from "../tokens.js";

export interface RevokeOtherSessionsInput {
  userId: string;
  currentSessionId: string;
  meta?: RequestMeta;
}

export interface RevokeOtherSessionsOutput {
  revoked: number;
}

/** "Sign out everywhere else": the session making the request survives. */
@injectable()
export class RevokeOtherSessions {
  constructor(
    @inject(TOKENS.SessionStore) private readonly sessions: SessionStore,
    @inject(AuditTrail) private readonly audit: AuditTrail,
  ) {}

  async execute(input: RevokeOtherSessionsInput): Promise<RevokeOtherSessionsOutput> {
    const revoked = await this.sessions.revokeAllForUser(input.userId, input.currentSessionId);
    if (revoked > 0) this.audit.record("sessions-revoked", input.userId, input.meta ?? null, { revoked });
    return { revoked };
  }
}

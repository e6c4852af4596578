import { inject, injectable } from "tsyringe";
import { SessionNotFoundError } from "../../domain/errors.js";
import type { SessionStore } from "../ports/session-store.port.js";
import type { RequestMeta } from "../request-context.js";
import { AuditTrail } from "../services/audit-trail.service.js";
import { TOKENS } from "../tokens.js";

export interface RevokeSessionInput {
  userId: string;
  sessionId: string;
  currentSessionId: string;
  meta?: RequestMeta;
}

export interface RevokeSessionOutput {
  /** True when the caller ended its own session (the driver then clears its cookies). */
  wasCurrent: boolean;
}

@injectable()
export class RevokeSession {
  constructor(
    @inject(TOKENS.SessionStore) private readonly sessions: SessionStore,
    @inject(AuditTrail) private readonly audit: AuditTrail,
  ) {}

  async execute(input: RevokeSessionInput): Promise<RevokeSessionOutput> {
    const session = await this.sessions.get(input.sessionId);
    // Another user's session answers exactly like an unknown id.
    if (!session || session.userId !== input.userId) throw new SessionNotFoundError();
    await this.sessions.revoke(session.id);
    this.audit.record("session-revoked", input.userId, input.meta ?? null, { sessionId: session.id });
    return { wasCurrent: session.id === input.currentSessionId };
  }
}

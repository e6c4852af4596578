import { inject, injectable } from "tsyringe";
import type { SessionStore } from "../ports/session-store.port.js";
import { TOKENS } from "../tokens.js";

export interface RevokeOtherSessionsInput {
  userId: string;
  currentSessionId: string;
}

export interface RevokeOtherSessionsOutput {
  revoked: number;
}

/** "Sign out everywhere else": the session making the request survives. */
@injectable()
export class RevokeOtherSessions {
  constructor(@inject(TOKENS.SessionStore) private readonly sessions: SessionStore) {}

  async execute(input: RevokeOtherSessionsInput): Promise<RevokeOtherSessionsOutput> {
    const revoked = await this.sessions.revokeAllForUser(input.userId, input.currentSessionId);
    return { revoked };
  }
}

import { inject, injectable } from "tsyringe";
import type { Session } from "../../domain/session.js";
import type { SessionStore } from "../ports/session-store.port.js";
import { TOKENS } from "../tokens.js";

export interface ListSessionsInput {
  userId: string;
  currentSessionId: string;
}

export interface SessionView {
  id: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  current: boolean;
}

export interface ListSessionsOutput {
  sessions: SessionView[];
}

@injectable()
export class ListSessions {
  constructor(@inject(TOKENS.SessionStore) private readonly sessions: SessionStore) {}

  async execute(input: ListSessionsInput): Promise<ListSessionsOutput> {
    const sessions = await this.sessions.listByUser(input.userId);
    return { sessions: sessions.map((s) => toView(s, input.currentSessionId)) };
  }
}

/** Never exposes the refresh hash. */
function toView(s: Session, currentSessionId: string): SessionView {
  return {
    id: s.id,
    userAgent: s.userAgent,
    ip: s.ip,
    createdAt: s.createdAt,
    lastUsedAt: s.lastUsedAt,
    expiresAt: s.expiresAt,
    current: s.id === currentSessionId,
  };
}

import type { Session } from "../../domain/session.js";

export type SessionCheck = Pick<Session, "id" | "userId" | "lastUsedAt">;

export interface RotateRefreshInput {
  sessionId: string;
  /** Keyed hash of the token the client presented. */
  presentedHash: string;
  /** Keyed hash of the successor token (derived deterministically from the presented one). */
  nextHash: string;
  now: Date;
  /** A rotated-out token presented within this many ms of its rotation is a benign race. */
  graceMs: number;
  /** New idle expiry (already capped at the absolute expiry). */
  nextExpiresAt: Date;
}

export type RotateRefreshResult =
  /** The presented token was current and is now replaced by nextHash (or was rotated to nextHash within the grace window). */
  | { status: "rotated"; session: Session }
  /** A rotated-out token came back after the grace window: the store has deleted the session. */
  | { status: "reused"; userId: string }
  /** No such live session, or a token this session never issued. Nothing changed. */
  | { status: "invalid" };

/**
 * Sessions with refresh-token rotation. Implementations must make `rotate` atomic: concurrent
 * calls with the same presented token never leave two valid successors.
 */
export interface SessionStore {
  create(session: Session): Promise<void>;
  /** The live session, or null when revoked or expired. */
  get(sessionId: string): Promise<Session | null>;
  /**
   * What authenticating a request needs of a live session, or null when revoked or expired:
   * `get` without the fields nobody reads on that path (it runs on every request).
   */
  check(sessionId: string): Promise<SessionCheck | null>;
  /** Live sessions of a user, oldest first. */
  listByUser(userId: string): Promise<Session[]>;
  rotate(input: RotateRefreshInput): Promise<RotateRefreshResult>;
  /** Refreshes lastUsedAt (best effort, may be throttled by the implementation). */
  touch(sessionId: string, now: Date): Promise<void>;
  /** Returns true when a live session was removed. */
  revoke(sessionId: string): Promise<boolean>;
  /** Removes all the user's sessions except `exceptSessionId`; returns how many were removed. */
  revokeAllForUser(userId: string, exceptSessionId?: string): Promise<number>;
  ping(): Promise<void>;
}

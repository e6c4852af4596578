export type AuditEvent =
  | "sign-up"
  | "email-verified"
  | "sign-in"
  | "sign-in-failed"
  | "account-locked"
  | "password-changed"
  | "password-reset"
  | "session-revoked"
  | "sessions-revoked"
  | "refresh-token-reuse"
  | "deletion-requested"
  | "account-soft-deleted"
  | "account-hard-deleted"
  | "account-reactivated"
  | "account-purged"
  | "profile-updated"
  | "oauth-linked"
  | "oauth-sign-in";

export interface AuditEntry {
  id: string;
  /** null for events about an address that has no account. */
  userId: string | null;
  event: AuditEvent;
  ip: string | null;
  userAgent: string | null;
  occurredAt: Date;
  /** Never secrets: no passwords, codes, tokens or hashes. */
  details: Record<string, unknown>;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  listForUser(userId: string, limit: number): Promise<AuditEntry[]>;
  /** Erases a user's trail (hard delete, purge); returns how many entries went. */
  deleteForUser(userId: string): Promise<number>;
}

export type Role = "user" | "admin";

export interface Avatar {
  url: string;
  /** Storage key (Cloudinary public id or local file name); never shown to clients. */
  key: string;
}

/**
 * A user as the core sees it. Repositories map their rows to this shape and back; the
 * password hash never leaves the application layer (presenters pick fields explicitly).
 */
export interface User {
  id: string;
  name: string;
  /** As typed at sign-up (trimmed), for display and mail. */
  email: string;
  /** Lower-cased; unique. */
  emailNormalized: string;
  /** null for accounts created through OAuth only. */
  passwordHash: string | null;
  role: Role;
  avatar: Avatar | null;
  isEmailVerified: boolean;
  lastLoginAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** Set by a soft delete; the account may be reactivated until purgeAfter. */
  deactivatedAt: Date | null;
  purgeAfter: Date | null;
}

export const NAME_MAX_LENGTH = 100;

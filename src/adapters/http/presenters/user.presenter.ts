import type { User } from "../../../domain/user.entity.js";

export interface UserView {
  id: string;
  name: string;
  email: string;
  role: string;
  avatar: { url: string } | null;
  isEmailVerified: boolean;
  lastLoginAt: string | null;
  createdAt: string;
}

/** Picks fields one by one, so a password hash or storage key can never leak into a response. */
export function presentUser(user: User): UserView {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    role: user.role,
    avatar: user.avatar ? { url: user.avatar.url } : null,
    isEmailVerified: user.isEmailVerified,
    lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
    createdAt: user.createdAt.toISOString(),
  };
}

import type { CodePurpose } from "./one-time-code.policy.js";
import type { User } from "./user.entity.js";

/**
 * Account deletion: a mailed single-use token proves the request came from the mailbox owner as
 * well as from a signed-in session. A soft delete deactivates the account and keeps it for the
 * retention window, during which the owner may reactivate; after it the purge erases the account
 * and, until the purge has run, the account answers as if it no longer existed.
 */
export const DEFAULT_ACCOUNT_RETENTION_DAYS = 30;

/** The deletion token lives TOKEN_TTL_SECONDS (15 minutes), like a reset token. */
export const DELETE_TOKEN_PURPOSE = "delete-token" satisfies CodePurpose;

export type DeletionType = "soft" | "hard";
export const DELETION_TYPES: readonly DeletionType[] = ["soft", "hard"];

const DAY_MS = 24 * 3600 * 1000;

type Lifecycle = Pick<User, "deactivatedAt" | "purgeAfter">;

/** When a soft-deleted account is erased for good. */
export function purgeAfterFor(deactivatedAt: Date, retentionDays: number): Date {
  if (!Number.isInteger(retentionDays) || retentionDays < 0) throw new RangeError("retentionDays must be a whole number >= 0");
  return new Date(deactivatedAt.getTime() + retentionDays * DAY_MS);
}

/** The fields a soft delete sets. */
export function deactivation(now: Date, retentionDays: number): { deactivatedAt: Date; purgeAfter: Date } {
  return { deactivatedAt: new Date(now.getTime()), purgeAfter: purgeAfterFor(now, retentionDays) };
}

export function isDeactivated(user: Lifecycle): boolean {
  return user.deactivatedAt !== null;
}

/**
 * Past the window the account is due for the purge: the instant purgeAfter is reached it can no
 * longer be reactivated, so "reactivatable" and "purge due" never overlap.
 */
export function isPurgeDue(user: Lifecycle, now: Date): boolean {
  return user.deactivatedAt !== null && user.purgeAfter !== null && user.purgeAfter.getTime() <= now.getTime();
}

/** A soft-deleted account inside its retention window. */
export function canReactivate(user: Lifecycle, now: Date): boolean {
  return user.deactivatedAt !== null && !isPurgeDue(user, now);
}

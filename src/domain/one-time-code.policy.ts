export type CodePurpose = "verify-email" | "reset-password" | "delete-account" | "signup-notice";

export const CODE_LENGTH = 6;
export const CODE_TTL_SECONDS = 10 * 60;
/** A code dies after this many wrong guesses. */
export const CODE_MAX_ATTEMPTS = 5;
export const CODE_RESEND_COOLDOWN_SECONDS = 60;
export const CODE_HOURLY_CAP = 5;

/** What a user may type: exactly six ASCII digits. */
export function isWellFormedCode(code: string): boolean {
  return /^[0-9]{6}$/.test(code);
}

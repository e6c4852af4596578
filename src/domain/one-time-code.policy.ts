/**
 * Codes are typed by users (6 digits); tokens are long random strings sent by clients
 * (reset token, deletion token). Both live in the same store, one live secret per purpose and
 * subject. "signup-notice" stores nothing useful: it only throttles notice mails.
 */
export type CodePurpose = "verify-email" | "reset-password" | "reset-token" | "delete-token" | "signup-notice";

/** Reset and deletion tokens live 15 minutes. */
export const TOKEN_TTL_SECONDS = 15 * 60;

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

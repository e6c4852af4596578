import { ValidationError } from "./errors.js";

const EMAIL_SHAPE = /^[^\s@"<>()[\]\\,;:]+@[^\s@"<>()[\]\\,;:]+\.[^\s@"<>()[\]\\,;:]+$/;
export const MAX_EMAIL_LENGTH = 254;

/**
 * Emails are unique case-insensitively: the normal form is trimmed and lower-cased (the whole
 * address; providers that treat the local part case-sensitively are vanishingly rare and a
 * case-sensitive duplicate account is a worse failure).
 */
export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

export function isValidEmail(raw: string): boolean {
  const email = raw.trim();
  return email.length <= MAX_EMAIL_LENGTH && EMAIL_SHAPE.test(email);
}

export function assertValidEmail(raw: string, field = "email"): string {
  if (!isValidEmail(raw)) throw ValidationError.field(field, "Must be a valid email address");
  return normalizeEmail(raw);
}

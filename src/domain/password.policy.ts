import { ValidationError } from "./errors.js";

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;
/** bcrypt ignores everything past 72 bytes; longer passwords would silently be truncated. */
export const PASSWORD_MAX_BYTES = 72;

export function passwordProblems(password: string, email?: string): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) problems.push(`Must be at least ${PASSWORD_MIN_LENGTH} characters`);
  if (length > PASSWORD_MAX_LENGTH) problems.push(`Must be at most ${PASSWORD_MAX_LENGTH} characters`);
  else if (new TextEncoder().encode(password).length > PASSWORD_MAX_BYTES)
    problems.push(`Must be at most ${PASSWORD_MAX_BYTES} bytes in UTF-8`);
  if (email && password.trim().toLowerCase() === email.trim().toLowerCase())
    problems.push("Must not be the same as the email address");
  return problems;
}

export function assertAcceptablePassword(password: string, email: string | undefined, field = "password"): void {
  const problems = passwordProblems(password, email);
  if (problems.length > 0) throw new ValidationError({ [field]: problems });
}

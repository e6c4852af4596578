/**
 * Expected failures. Use cases throw these; the HTTP adapter maps `code` to a status in one
 * table, so a new code that is not mapped there fails to compile.
 */
export const DOMAIN_ERROR_CODES = [
  "VALIDATION_FAILED",
  "INVALID_CREDENTIALS",
  "EMAIL_NOT_VERIFIED",
  "INVALID_CODE",
  "INVALID_TOKEN",
  "UNAUTHENTICATED",
  "SESSION_REVOKED",
  "SESSION_NOT_FOUND",
  "USER_NOT_FOUND",
  "TOO_MANY_ATTEMPTS",
  "RATE_LIMITED",
  "SERVICE_UNAVAILABLE",
  "EMAIL_TAKEN",
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export type FieldErrors = Record<string, string[]>;

export class ValidationError extends DomainError {
  readonly code = "VALIDATION_FAILED";
  constructor(
    readonly errors: FieldErrors,
    message = "Validation failed",
  ) {
    super(message);
  }
  static field(field: string, message: string): ValidationError {
    return new ValidationError({ [field]: [message] });
  }
}

export class InvalidCredentialsError extends DomainError {
  readonly code = "INVALID_CREDENTIALS";
  constructor() {
    super("Invalid email or password");
  }
}

export class EmailNotVerifiedError extends DomainError {
  readonly code = "EMAIL_NOT_VERIFIED";
  constructor() {
    super("Email address is not verified");
  }
}

export class InvalidCodeError extends DomainError {
  readonly code = "INVALID_CODE";
  constructor() {
    super("The code is invalid or has expired");
  }
}

export class InvalidTokenError extends DomainError {
  readonly code = "INVALID_TOKEN";
  constructor(message = "The token is invalid or has expired") {
    super(message);
  }
}

export class UnauthenticatedError extends DomainError {
  readonly code = "UNAUTHENTICATED";
  constructor(message = "Authentication required") {
    super(message);
  }
}

export class SessionRevokedError extends DomainError {
  readonly code = "SESSION_REVOKED";
  constructor(message = "The session has ended; sign in again") {
    super(message);
  }
}

export class SessionNotFoundError extends DomainError {
  readonly code = "SESSION_NOT_FOUND";
  constructor() {
    super("Session not found");
  }
}

export class UserNotFoundError extends DomainError {
  readonly code = "USER_NOT_FOUND";
  constructor() {
    super("User not found");
  }
}

export class TooManyAttemptsError extends DomainError {
  readonly code = "TOO_MANY_ATTEMPTS";
  constructor(readonly retryAfterSeconds: number) {
    super("Too many attempts; try again later");
  }
}

export class RateLimitedError extends DomainError {
  readonly code = "RATE_LIMITED";
  constructor(readonly retryAfterSeconds: number) {
    super("Too many requests; slow down");
  }
}

/** A dependency (database, session store) did not answer in time. */
export class ServiceUnavailableError extends DomainError {
  readonly code = "SERVICE_UNAVAILABLE";
  constructor(readonly dependency: string) {
    super("Service temporarily unavailable");
  }
}

/** Raised by repositories when the normalised email is already taken (unique index). */
export class EmailTakenError extends DomainError {
  readonly code = "EMAIL_TAKEN";
  constructor() {
    super("Email already registered");
  }
}

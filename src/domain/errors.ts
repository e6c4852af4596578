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
  "STORAGE_UNAVAILABLE",
  "EMAIL_TAKEN",
  "IDENTITY_TAKEN",
  "UNSUPPORTED_MEDIA_TYPE",
  "PAYLOAD_TOO_LARGE",
  "ACCOUNT_DEACTIVATED",
  "ACCOUNT_NOT_DEACTIVATED",
  "REACTIVATION_WINDOW_CLOSED",
  "PROVIDER_NOT_CONFIGURED",
  "ACCOUNT_EXISTS_UNVERIFIED_LINK",
  "OAUTH_FAILED",
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  constructor(message: string) {
    // Expected outcomes (a wrong password, a 429) are answered and never logged with a stack,
    // and capturing one cost more than the rest of a rejected sign-in: they carry none.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
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

/** The image store (Cloudinary, local disk) failed or did not answer in time; nothing was changed. */
export class StorageUnavailableError extends DomainError {
  readonly code = "STORAGE_UNAVAILABLE";
  readonly dependency = "imageStorage";
  constructor(message = "Image storage is temporarily unavailable") {
    super(message);
  }
}

/** Raised by repositories when the normalised email is already taken (unique index). */
export class EmailTakenError extends DomainError {
  readonly code = "EMAIL_TAKEN";
  constructor() {
    super("Email already registered");
  }
}

/** Raised by IdentityRepository when (provider, provider user id) is already linked. */
export class IdentityTakenError extends DomainError {
  readonly code = "IDENTITY_TAKEN";
  constructor() {
    super("This provider account is already linked");
  }
}

/** An upload that is not one of the accepted image types (judged by its bytes). */
export class UnsupportedMediaTypeError extends DomainError {
  readonly code = "UNSUPPORTED_MEDIA_TYPE";
  constructor(message = "Only JPEG, PNG, WebP and GIF images are accepted") {
    super(message);
  }
}

export class PayloadTooLargeError extends DomainError {
  readonly code = "PAYLOAD_TOO_LARGE";
  constructor(message = "The upload is too large") {
    super(message);
  }
}

/** A soft-deleted account may only reactivate (or sign out). */
export class AccountDeactivatedError extends DomainError {
  readonly code = "ACCOUNT_DEACTIVATED";
  constructor(message = "This account is deactivated; reactivate it to continue") {
    super(message);
  }
}

export class AccountNotDeactivatedError extends DomainError {
  readonly code = "ACCOUNT_NOT_DEACTIVATED";
  constructor() {
    super("This account is active");
  }
}

export class ReactivationWindowClosedError extends DomainError {
  readonly code = "REACTIVATION_WINDOW_CLOSED";
  constructor() {
    super("The reactivation window for this account has closed");
  }
}

export class ProviderNotConfiguredError extends DomainError {
  readonly code = "PROVIDER_NOT_CONFIGURED";
  constructor(provider: string) {
    super(`Sign-in with ${provider} is not configured`);
  }
}

/** The provider's email matches an account, but the provider does not vouch for it: no merge. */
export class AccountExistsUnverifiedLinkError extends DomainError {
  readonly code = "ACCOUNT_EXISTS_UNVERIFIED_LINK";
  constructor() {
    super("An account with this email exists; sign in with your password to link this provider");
  }
}

/** The provider dance failed (state, provider error, provider down). */
export class OAuthFailedError extends DomainError {
  readonly code = "OAUTH_FAILED";
  constructor(readonly reason: string) {
    super("Sign-in with the provider failed");
  }
}

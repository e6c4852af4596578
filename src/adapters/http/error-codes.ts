import type { DomainErrorCode } from "../../domain/errors.js";

/** One row per domain error: an unmapped code does not compile. */
export const DOMAIN_ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  INVALID_CREDENTIALS: 401,
  EMAIL_NOT_VERIFIED: 403,
  INVALID_CODE: 400,
  INVALID_TOKEN: 401,
  UNAUTHENTICATED: 401,
  SESSION_REVOKED: 401,
  SESSION_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  TOO_MANY_ATTEMPTS: 429,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  STORAGE_UNAVAILABLE: 503,
  // Repositories raise it; use cases absorb it so it never reaches a client (enumeration).
  EMAIL_TAKEN: 400,
  IDENTITY_TAKEN: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  ACCOUNT_DEACTIVATED: 403,
  ACCOUNT_NOT_DEACTIVATED: 409,
  REACTIVATION_WINDOW_CLOSED: 410,
  PROVIDER_NOT_CONFIGURED: 404,
  ACCOUNT_EXISTS_UNVERIFIED_LINK: 409,
  OAUTH_FAILED: 400,
} as const satisfies Record<DomainErrorCode, number>;

/** Errors that belong to HTTP itself, not to the domain. */
export const HTTP_ERROR_CODES = {
  400: "BAD_REQUEST",
  403: "CSRF_REJECTED",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  500: "INTERNAL_ERROR",
  501: "NOT_IMPLEMENTED",
  503: "SERVICE_UNAVAILABLE",
} as const;

export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[keyof typeof HTTP_ERROR_CODES] | "MALFORMED_JSON";

/** An error raised by the HTTP adapter itself (CSRF, media type), carried to the error middleware. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

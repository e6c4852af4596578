import * as v from "valibot";

/** RFC 7636's alphabet and lengths, for a verifier. */
const PKCE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** An S256 challenge: BASE64URL(SHA-256(verifier)), 43 characters. */
export const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** The one-time code a token-mode client got in the redirect after an OAuth sign-in. */
export const OAuthCodeBody = v.object({
  code: v.pipe(v.string("code must be a string"), v.trim(), v.nonEmpty("code is required"), v.maxLength(200, "code must be at most 200 characters")),
  /** RFC 7636: required when the sign-in was started with a code_challenge, refused otherwise. */
  codeVerifier: v.optional(v.pipe(v.string("codeVerifier must be a string"), v.regex(PKCE_VERIFIER, "codeVerifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~"))),
});

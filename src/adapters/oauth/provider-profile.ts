import type { OAuthProfile } from "../../application/use-cases/oauth-sign-in.use-case.js";
import type { OAuthProvider } from "../../domain/identity.entity.js";

/** The fields of a passport profile we read; `_json` is the provider's own answer. */
export interface PassportProfile {
  id?: unknown;
  displayName?: unknown;
  username?: unknown;
  emails?: Array<{ value?: unknown; primary?: unknown; verified?: unknown }>;
  _json?: Record<string, unknown>;
}

/** The provider answered, but not with something we can sign a user in with. */
export class UnusableProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnusableProfileError";
  }
}

/**
 * One shape for the three providers. Only the provider's own word makes an email verified:
 * GitHub's emails API flag, Google's email_verified claim; Facebook's address never counts as
 * verified (its Graph API does not say).
 */
export function normaliseProfile(provider: OAuthProvider, profile: PassportProfile): OAuthProfile {
  const json = profile._json ?? {};
  switch (provider) {
    case "github": {
      const email = pickGitHubEmail(profile.emails ?? [], json.email);
      return {
        providerUserId: subject(json.id ?? profile.id),
        email: email?.address ?? null,
        emailVerified: email?.verified ?? false,
        name: text(json.name) ?? text(profile.displayName) ?? text(json.login) ?? text(profile.username) ?? "",
        avatarUrl: text(json.avatar_url),
      };
    }
    case "google": {
      const email = text(json.email) ?? text(profile.emails?.[0]?.value);
      const claim = json.email_verified ?? profile.emails?.[0]?.verified;
      return {
        providerUserId: subject(json.sub ?? json.id ?? profile.id),
        email,
        emailVerified: email !== null && (claim === true || claim === "true"),
        name: text(json.name) ?? text(profile.displayName) ?? "",
        avatarUrl: text(json.picture),
      };
    }
    case "facebook":
      return {
        providerUserId: subject(json.id ?? profile.id),
        email: text(json.email) ?? text(profile.emails?.[0]?.value),
        emailVerified: false,
        name: text(json.name) ?? text(profile.displayName) ?? "",
        avatarUrl: null,
      };
  }
}

/** Primary and verified first, then any verified, then (unverified) the primary or public one. */
function pickGitHubEmail(
  emails: NonNullable<PassportProfile["emails"]>,
  publicEmail: unknown,
): { address: string; verified: boolean } | null {
  const listed = emails
    .filter((e) => e && typeof e.value === "string" && e.value.length > 0)
    .map((e) => ({ address: e.value as string, primary: e.primary === true, verified: e.verified === true }));
  const best =
    listed.find((e) => e.primary && e.verified) ??
    listed.find((e) => e.verified) ??
    listed.find((e) => e.primary) ??
    listed[0];
  if (best) return { address: best.address, verified: best.verified };
  const fallback = text(publicEmail);
  return fallback ? { address: fallback, verified: false } : null;
}

function subject(value: unknown): string {
  const id = typeof value === "number" && Number.isFinite(value) ? String(value) : typeof value === "string" ? value.trim() : "";
  if (!id || id.length > 255) throw new UnusableProfileError("the provider's profile has no usable user id");
  return id;
}

function text(value: unknown): string | null {
  return typeof value === "string" && value.trim().length > 0 ? value.trim() : null;
}

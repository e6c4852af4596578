import type { OAuthProvider } from "../../domain/identity.entity.js";

/** One provider's registration; endpoint overrides are null for the provider's own URLs. */
export interface OAuthProviderSettings {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  authorizationUrl: string | null;
  tokenUrl: string | null;
  profileUrl: string | null;
  /** GitHub only. */
  emailsUrl: string | null;
}

export interface OAuthSettings {
  /** Where the browser goes after the dance, with `?error=` or `?code=` when there is news. */
  clientUrl: string;
  /** null: the provider is not configured and its routes answer 404 PROVIDER_NOT_CONFIGURED. */
  providers: Record<OAuthProvider, OAuthProviderSettings | null>;
  /** Deadline for each request to a provider (token, profile, emails); default 5000 ms. */
  providerTimeoutMs?: number;
  /**
   * A token-mode sign-in must start with the app's own PKCE challenge (RFC 7636, S256); without
   * one it is refused with 400. Cookie mode (browsers) is not affected. Default false.
   */
  requireClientPkce?: boolean;
}

/** Injection token for the settings, owned by the OAuth adapter. */
export const OAUTH_SETTINGS = Symbol("OAuthSettings");

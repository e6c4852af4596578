export type OAuthProvider = "github" | "google" | "facebook";

export const OAUTH_PROVIDERS: readonly OAuthProvider[] = ["github", "google", "facebook"];

/** A provider account linked to a user. */
export interface Identity {
  id: string;
  userId: string;
  provider: OAuthProvider;
  /** The provider's stable user id (never the email, which can change hands). */
  providerUserId: string;
  email: string | null;
  /** Whether the provider vouched for `email` when it was linked. */
  emailVerified: boolean;
  linkedAt: Date;
}

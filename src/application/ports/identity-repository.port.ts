import type { Identity, OAuthProvider } from "../../domain/identity.entity.js";

export interface IdentityRepository {
  findByProvider(provider: OAuthProvider, providerUserId: string): Promise<Identity | null>;
  listByUser(userId: string): Promise<Identity[]>;
  /** Throws IdentityTakenError when (provider, providerUserId) is already linked. */
  create(identity: Identity): Promise<Identity>;
  deleteForUser(userId: string): Promise<number>;
}

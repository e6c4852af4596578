import type { IdentityRepository } from "../../application/ports/identity-repository.port.js";
import { IdentityTakenError } from "../../domain/errors.js";
import type { Identity, OAuthProvider } from "../../domain/identity.entity.js";

/**
 * Single-process store for tests and embedding, with the database's rules: (provider, provider
 * user id) is unique, and callers never hold a reference into the store (structuredClone both ways).
 * No foreign key to users here: whoever erases a user calls deleteForUser, as the composition
 * with a real database would cascade.
 */
export class InMemoryIdentityRepository implements IdentityRepository {
  private readonly byId = new Map<string, Identity>();

  async findByProvider(provider: OAuthProvider, providerUserId: string): Promise<Identity | null> {
    for (const identity of this.byId.values()) {
      if (identity.provider === provider && identity.providerUserId === providerUserId) return structuredClone(identity);
    }
    return null;
  }

  async listByUser(userId: string): Promise<Identity[]> {
    return [...this.byId.values()]
      .filter((i) => i.userId === userId)
      .sort((a, b) => a.linkedAt.getTime() - b.linkedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((i) => structuredClone(i));
  }

  async create(identity: Identity): Promise<Identity> {
    if (this.byId.has(identity.id)) throw new Error(`Identity ${identity.id} already exists`);
    for (const existing of this.byId.values()) {
      if (existing.provider === identity.provider && existing.providerUserId === identity.providerUserId) {
        throw new IdentityTakenError();
      }
    }
    const stored = structuredClone(identity);
    this.byId.set(stored.id, stored);
    return structuredClone(stored);
  }

  async deleteForUser(userId: string): Promise<number> {
    let deleted = 0;
    for (const [id, identity] of this.byId) {
      if (identity.userId === userId) {
        this.byId.delete(id);
        deleted++;
      }
    }
    return deleted;
  }
}

import type { NewUser, UserChanges, UserRepository } from "../../application/ports/user-repository.port.js";
import { EmailTakenError } from "../../domain/errors.js";
import type { User } from "../../domain/user.entity.js";

/**
 * Single-process store for tests and embedding. Mirrors the database's rules: the normalised
 * email is unique, and callers never hold a reference into the store (structuredClone both ways).
 */
export class InMemoryUserRepository implements UserRepository {
  private readonly byId = new Map<string, User>();

  async create(user: NewUser): Promise<User> {
    if (this.byId.has(user.id)) throw new Error(`User ${user.id} already exists`);
    this.assertEmailFree(user.emailNormalized, null);
    const stored: User = structuredClone({ ...user, updatedAt: user.updatedAt ?? user.createdAt });
    this.byId.set(stored.id, stored);
    return structuredClone(stored);
  }

  async findById(id: string): Promise<User | null> {
    const user = this.byId.get(id);
    return user ? structuredClone(user) : null;
  }

  async findByEmail(emailNormalized: string): Promise<User | null> {
    for (const user of this.byId.values()) {
      if (user.emailNormalized === emailNormalized) return structuredClone(user);
    }
    return null;
  }

  async update(id: string, changes: UserChanges): Promise<User | null> {
    const current = this.byId.get(id);
    if (!current) return null;
    if (changes.emailNormalized !== undefined) this.assertEmailFree(changes.emailNormalized, id);
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as UserChanges;
    const next: User = structuredClone({
      ...current,
      ...defined,
      id: current.id,
      createdAt: current.createdAt,
      updatedAt: changes.updatedAt ?? new Date(),
    });
    this.byId.set(id, next);
    return structuredClone(next);
  }

  async delete(id: string): Promise<boolean> {
    return this.byId.delete(id);
  }

  async listPurgeable(now: Date, limit: number): Promise<User[]> {
    const due = [...this.byId.values()].filter(
      (u) => u.deactivatedAt !== null && u.purgeAfter !== null && u.purgeAfter.getTime() <= now.getTime(),
    );
    due.sort((a, b) => a.purgeAfter!.getTime() - b.purgeAfter!.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return due.slice(0, Math.max(0, limit)).map((u) => structuredClone(u));
  }

  async ping(): Promise<void> {}

  private assertEmailFree(emailNormalized: string, exceptId: string | null): void {
    for (const user of this.byId.values()) {
      if (user.emailNormalized === emailNormalized && user.id !== exceptId) throw new EmailTakenError();
    }
  }
}

import type { User } from "../../domain/user.entity.js";

export type NewUser = Omit<User, "updatedAt"> & { updatedAt?: Date };
export type UserChanges = Partial<Omit<User, "id" | "createdAt">>;

export interface UserRepository {
  /** Throws EmailTakenError when emailNormalized is already used (unique, case-insensitive). */
  create(user: NewUser): Promise<User>;
  findById(id: string): Promise<User | null>;
  /** `emailNormalized` must already be normalised. */
  findByEmail(emailNormalized: string): Promise<User | null>;
  /** Returns the updated user, or null when it does not exist. Throws EmailTakenError like create. */
  update(id: string, changes: UserChanges): Promise<User | null>;
  /** Returns true when a row was deleted. */
  delete(id: string): Promise<boolean>;
  /**
   * Deactivated accounts whose purgeAfter <= now, the longest overdue first, at most `limit`.
   * Several purge runs may list the same account; `delete` decides which one erased it.
   */
  listPurgeable(now: Date, limit: number): Promise<User[]>;
  /** Cheap round-trip for readiness checks; throws when the store is unreachable. */
  ping(): Promise<void>;
}

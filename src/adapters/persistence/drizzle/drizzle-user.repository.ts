import { and, asc, eq, isNotNull, lte, sql } from "drizzle-orm";
import type { NewUser, UserChanges, UserRepository } from "../../../application/ports/user-repository.port.js";
import { EmailTakenError } from "../../../domain/errors.js";
import type { User } from "../../../domain/user.entity.js";
import { queryRunner, type Database } from "./database.js";
import { users, type UserInsertRow, type UserRow } from "./schema/users.table.js";

const EMAIL_UNIQUE_INDEX = "users_email_normalized_unique";

export class DrizzleUserRepository implements UserRepository {
  // The hot reads (every authenticated request, refresh and sign-in) as prepared statements:
  // drizzle builds their SQL once instead of on every call (that build was about three
  // quarters of a lookup's CPU), and PostgreSQL parses them once per pooled connection.
  private readonly byId;
  private readonly byEmail;
  private readonly run = queryRunner({ index: EMAIL_UNIQUE_INDEX, error: () => new EmailTakenError() });

  constructor(private readonly db: Database) {
    this.byId = db.select().from(users).where(eq(users.id, sql.placeholder("id"))).limit(1).prepare("users_find_by_id");
    this.byEmail = db.select().from(users).where(eq(users.emailNormalized, sql.placeholder("email"))).limit(1).prepare("users_find_by_email");
  }

  async create(user: NewUser): Promise<User> {
    const row = await this.run(() => this.db.insert(users).values(toRow(user)).returning());
    return toUser(row[0]!);
  }

  async findById(id: string): Promise<User | null> {
    const rows = await this.run(() => this.byId.execute({ id }));
    return rows[0] ? toUser(rows[0]) : null;
  }

  async findByEmail(emailNormalized: string): Promise<User | null> {
    const rows = await this.run(() => this.byEmail.execute({ email: emailNormalized }));
    return rows[0] ? toUser(rows[0]) : null;
  }

  async update(id: string, changes: UserChanges): Promise<User | null> {
    const set = toChangeSet(changes);
    const rows = await this.run(() => this.db.update(users).set(set).where(eq(users.id, id)).returning());
    return rows[0] ? toUser(rows[0]) : null;
  }

  async delete(id: string): Promise<boolean> {
    const rows = await this.run(() => this.db.delete(users).where(eq(users.id, id)).returning({ id: users.id }));
    return rows.length > 0;
  }

  async listPurgeable(now: Date, limit: number): Promise<User[]> {
    if (limit <= 0) return [];
    const rows = await this.run(() =>
      this.db
        .select()
        .from(users)
        // users_purge_after_idx serves the range; purge_after is only set together with deactivated_at.
        .where(and(isNotNull(users.deactivatedAt), lte(users.purgeAfter, now)))
        .orderBy(asc(users.purgeAfter), asc(users.id))
        .limit(limit),
    );
    return rows.map(toUser);
  }

  async ping(): Promise<void> {
    await this.run(() => this.db.execute(sql`select 1`));
  }
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    emailNormalized: row.emailNormalized,
    passwordHash: row.passwordHash,
    role: row.role,
    avatar: row.avatarUrl !== null && row.avatarKey !== null ? { url: row.avatarUrl, key: row.avatarKey } : null,
    isEmailVerified: row.isEmailVerified,
    lastLoginAt: row.lastLoginAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    deactivatedAt: row.deactivatedAt,
    purgeAfter: row.purgeAfter,
  };
}

function toRow(user: NewUser): UserInsertRow {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    emailNormalized: user.emailNormalized,
    passwordHash: user.passwordHash,
    role: user.role,
    avatarUrl: user.avatar?.url ?? null,
    avatarKey: user.avatar?.key ?? null,
    isEmailVerified: user.isEmailVerified,
    lastLoginAt: user.lastLoginAt,
    createdAt: user.createdAt,
    // A new row has not been updated yet; deriving it keeps the caller's Clock authoritative.
    updatedAt: user.updatedAt ?? user.createdAt,
    deactivatedAt: user.deactivatedAt,
    purgeAfter: user.purgeAfter,
  };
}

function toChangeSet(changes: UserChanges): Partial<UserInsertRow> {
  const set: Partial<UserInsertRow> = {};
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.email !== undefined) set.email = changes.email;
  if (changes.emailNormalized !== undefined) set.emailNormalized = changes.emailNormalized;
  if (changes.passwordHash !== undefined) set.passwordHash = changes.passwordHash;
  if (changes.role !== undefined) set.role = changes.role;
  if (changes.avatar !== undefined) {
    set.avatarUrl = changes.avatar?.url ?? null;
    set.avatarKey = changes.avatar?.key ?? null;
  }
  if (changes.isEmailVerified !== undefined) set.isEmailVerified = changes.isEmailVerified;
  if (changes.lastLoginAt !== undefined) set.lastLoginAt = changes.lastLoginAt;
  if (changes.deactivatedAt !== undefined) set.deactivatedAt = changes.deactivatedAt;
  if (changes.purgeAfter !== undefined) set.purgeAfter = changes.purgeAfter;
  // Callers normally pass their Clock's time; this fallback keeps updated_at honest if they don't.
  set.updatedAt = changes.updatedAt ?? new Date();
  return set;
}

import { and, asc, eq } from "drizzle-orm";
import type { IdentityRepository } from "../../../application/ports/identity-repository.port.js";
import { IdentityTakenError } from "../../../domain/errors.js";
import type { Identity, OAuthProvider } from "../../../domain/identity.entity.js";
import { queryRunner, type Database } from "./database.js";
import { userIdentities, type UserIdentityRow } from "./schema/user-identities.table.js";

const PROVIDER_SUBJECT_UNIQUE_INDEX = "user_identities_provider_subject_unique";

export class DrizzleIdentityRepository implements IdentityRepository {
  private readonly run = queryRunner({ index: PROVIDER_SUBJECT_UNIQUE_INDEX, error: () => new IdentityTakenError() });

  constructor(private readonly db: Database) {}

  async findByProvider(provider: OAuthProvider, providerUserId: string): Promise<Identity | null> {
    const rows = await this.run(() =>
      this.db
        .select()
        .from(userIdentities)
        .where(and(eq(userIdentities.provider, provider), eq(userIdentities.providerUserId, providerUserId)))
        .limit(1),
    );
    return rows[0] ? toIdentity(rows[0]) : null;
  }

  async listByUser(userId: string): Promise<Identity[]> {
    const rows = await this.run(() =>
      this.db
        .select()
        .from(userIdentities)
        .where(eq(userIdentities.userId, userId))
        .orderBy(asc(userIdentities.linkedAt), asc(userIdentities.id)),
    );
    return rows.map(toIdentity);
  }

  async create(identity: Identity): Promise<Identity> {
    const rows = await this.run(() =>
      this.db
        .insert(userIdentities)
        .values({
          id: identity.id,
          userId: identity.userId,
          provider: identity.provider,
          providerUserId: identity.providerUserId,
          email: identity.email,
          emailVerified: identity.emailVerified,
          linkedAt: identity.linkedAt,
        })
        .returning(),
    );
    return toIdentity(rows[0]!);
  }

  async deleteForUser(userId: string): Promise<number> {
    const rows = await this.run(() =>
      this.db.delete(userIdentities).where(eq(userIdentities.userId, userId)).returning({ id: userIdentities.id }),
    );
    return rows.length;
  }
}

function toIdentity(row: UserIdentityRow): Identity {
  return {
    id: row.id,
    userId: row.userId,
    provider: row.provider,
    providerUserId: row.providerUserId,
    email: row.email,
    emailVerified: row.emailVerified,
    linkedAt: row.linkedAt,
  };
}

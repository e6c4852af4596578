import { boolean, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { users } from "./users.table.js";

/** An OAuth provider account linked to a user. Found by (provider, provider user id), never by email. */
export const userIdentities = pgTable(
  "user_identities",
  {
    id: uuid("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider", { enum: ["github", "google", "facebook"] }).notNull(),
    providerUserId: text("provider_user_id").notNull(),
    email: text("email"),
    emailVerified: boolean("email_verified").notNull().default(false),
    linkedAt: timestamp("linked_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex("user_identities_provider_subject_unique").on(t.provider, t.providerUserId),
    index("user_identities_user_id_idx").on(t.userId),
  ],
);

export type UserIdentityRow = typeof userIdentities.$inferSelect;

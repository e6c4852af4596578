import { boolean, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey(),
    name: text("name").notNull(),
    email: text("email").notNull(),
    // Uniqueness is enforced on the normal form so "Ann@x.io" and "ann@x.io" cannot both register.
    emailNormalized: text("email_normalized").notNull(),
    passwordHash: text("password_hash"),
    role: text("role", { enum: ["user", "admin"] }).notNull().default("user"),
    avatarUrl: text("avatar_url"),
    avatarKey: text("avatar_key"),
    isEmailVerified: boolean("is_email_verified").notNull().default(false),
    lastLoginAt: timestamp("last_login_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
    deactivatedAt: timestamp("deactivated_at", { withTimezone: true }),
    purgeAfter: timestamp("purge_after", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("users_email_normalized_unique").on(t.emailNormalized),
    // The purge job scans by purge_after; without it every run is a full table scan.
    index("users_purge_after_idx").on(t.purgeAfter),
  ],
);

export type UserRow = typeof users.$inferSelect;
export type UserInsertRow = typeof users.$inferInsert;

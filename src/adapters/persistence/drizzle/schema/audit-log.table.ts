import { index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * Security-relevant events. No foreign key to users: a purge deletes the rows explicitly, and
 * events about unknown emails (a lock on a non-account) have no user at all.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: uuid("id").primaryKey(),
    userId: uuid("user_id"),
    event: text("event").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index("audit_log_user_time_idx").on(t.userId, t.occurredAt)],
);

export type AuditLogRow = typeof auditLog.$inferSelect;

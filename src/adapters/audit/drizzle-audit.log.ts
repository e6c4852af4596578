import { desc, eq } from "drizzle-orm";
import type { AuditEntry, AuditEvent, AuditLog } from "../../application/ports/audit-log.port.js";
import { queryRunner, type Database } from "../persistence/drizzle/database.js";
import { auditLog, type AuditLogRow } from "../persistence/drizzle/schema/audit-log.table.js";

/** The audit trail in the application database (table audit_log), on node-postgres or PGlite. */
export class DrizzleAuditLog implements AuditLog {
  private readonly run = queryRunner();

  constructor(private readonly db: Database) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.run(() =>
      this.db.insert(auditLog).values({
        id: entry.id,
        userId: entry.userId,
        event: entry.event,
        ip: entry.ip,
        userAgent: entry.userAgent,
        occurredAt: entry.occurredAt,
        details: entry.details,
      }),
    );
  }

  async listForUser(userId: string, limit: number): Promise<AuditEntry[]> {
    if (limit <= 0) return [];
    const rows = await this.run(() =>
      this.db
        .select()
        .from(auditLog)
        .where(eq(auditLog.userId, userId))
        // audit_log_user_time_idx serves this; id only makes ties deterministic.
        .orderBy(desc(auditLog.occurredAt), desc(auditLog.id))
        .limit(limit),
    );
    return rows.map(toEntry);
  }

  async deleteForUser(userId: string): Promise<number> {
    const rows = await this.run(() => this.db.delete(auditLog).where(eq(auditLog.userId, userId)).returning({ id: auditLog.id }));
    return rows.length;
  }
}

function toEntry(row: AuditLogRow): AuditEntry {
  return {
    id: row.id,
    userId: row.userId,
    event: row.event as AuditEvent,
    ip: row.ip,
    userAgent: row.userAgent,
    occurredAt: row.occurredAt,
    details: row.details,
  };
}

import type { AuditEntry, AuditLog } from "../../application/ports/audit-log.port.js";

/** The audit trail for the in-memory container and tests; copies in and out. */
export class InMemoryAuditLog implements AuditLog {
  readonly #entries: AuditEntry[] = [];

  async record(entry: AuditEntry): Promise<void> {
    this.#entries.push(structuredClone(entry));
  }

  async listForUser(userId: string, limit: number): Promise<AuditEntry[]> {
    return this.#entries
      .filter((e) => e.userId === userId)
      .sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime())
      .slice(0, limit)
      .map((e) => structuredClone(e));
  }

  async deleteForUser(userId: string): Promise<number> {
    let removed = 0;
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      if (this.#entries[i]!.userId === userId) {
        this.#entries.splice(i, 1);
        removed++;
      }
    }
    return removed;
  }
}

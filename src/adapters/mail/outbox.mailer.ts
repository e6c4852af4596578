import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../../application/ports/logger.port.js";
import type { MailMessage, Mailer } from "../../application/ports/mailer.port.js";
import { ServiceUnavailableError } from "../../domain/errors.js";

export interface OutboxMailerOptions {
  dir: string;
  logger: Logger;
}

/** What each outbox file holds. */
export interface OutboxEntry {
  to: string;
  subject: string;
  text: string;
  html?: string;
  tag: string;
  sentAt: string;
}

/**
 * The zero-config mailer: each mail becomes a JSON file in `dir`, so a developer can sign up and
 * read the code without an SMTP server.
 */
export class OutboxMailer implements Mailer {
  private readonly dir: string;
  private readonly logger: Logger;

  constructor(options: OutboxMailerOptions) {
    this.dir = path.resolve(options.dir);
    this.logger = options.logger;
  }

  async send(message: MailMessage): Promise<void> {
    const sentAt = new Date().toISOString();
    const entry: OutboxEntry = {
      to: message.to,
      subject: message.subject,
      text: message.text,
      ...(message.html === undefined ? {} : { html: message.html }),
      tag: message.tag,
      sentAt,
    };
    // ":" is not allowed in Windows file names; the name still sorts by time.
    const stamp = sentAt.replace(/[:.]/g, "-");
    const name = `${stamp}-${safeTag(message.tag)}-${randomBytes(4).toString("hex")}.json`;
    const file = path.join(this.dir, name);
    const partial = `${file}.partial`;
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      // The file holds live codes: owner-only, and renamed into place so a reader never sees half a mail.
      await writeFile(partial, `${JSON.stringify(entry, null, 2)}\n`, { mode: 0o600, flag: "wx" });
      await rename(partial, file);
    } catch (error) {
      await rm(partial, { force: true }).catch(() => undefined);
      this.logger.error({ err: describe(error), dir: this.dir, tag: message.tag }, "outbox mail could not be written");
      throw new ServiceUnavailableError("mail");
    }
    // Never the body: it carries one-time codes and tokens.
    this.logger.info({ to: message.to, subject: message.subject, tag: message.tag, file }, "mail written to outbox");
  }

  async ping(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await access(this.dir, constants.W_OK);
    } catch {
      throw new ServiceUnavailableError("mail");
    }
  }
}

function safeTag(tag: string): string {
  const cleaned = tag.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40);
  return cleaned || "mail";
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

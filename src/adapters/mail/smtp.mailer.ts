import nodemailer from "nodemailer";
import type { Logger } from "../../application/ports/logger.port.js";
import type { MailMessage, Mailer } from "../../application/ports/mailer.port.js";
import { ServiceUnavailableError } from "../../domain/errors.js";

export interface SmtpMailerOptions {
  /** smtp://user:pass@host:587 or smtps://user:pass@host:465 */
  url: string;
  from: string;
  logger: Logger;
  /**
   * How long each SMTP step (DNS, connect, greeting, each reply) may take; default 5 s, so an
   * unreachable relay fails fast instead of holding a request for nodemailer's default minutes.
   * A whole delivery is bounded by twice this, because a server trickling its replies never
   * trips a socket timeout.
   */
  timeoutMs?: number;
}

const DEFAULT_STEP_TIMEOUT_MS = 5_000;

type Transporter = ReturnType<typeof createPool>;

function createPool(url: string, stepTimeoutMs: number) {
  return nodemailer.createTransport({
    url,
    pool: true,
    connectionTimeout: stepTimeoutMs,
    greetingTimeout: stepTimeoutMs,
    socketTimeout: stepTimeoutMs,
    dnsTimeout: stepTimeoutMs,
  });
}

export class SmtpMailer implements Mailer {
  private readonly transporter: Transporter;
  private readonly from: string;
  private readonly logger: Logger;
  private readonly sendDeadlineMs: number;

  constructor(options: SmtpMailerOptions) {
    const scheme = safeProtocol(options.url);
    if (scheme !== "smtp:" && scheme !== "smtps:") {
      throw new Error("SMTP_URL must start with smtp:// or smtps://");
    }
    this.from = options.from;
    this.logger = options.logger;
    const stepTimeoutMs = options.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
    if (!(stepTimeoutMs > 0)) throw new RangeError("timeoutMs must be positive");
    this.sendDeadlineMs = 2 * stepTimeoutMs;
    this.transporter = createPool(options.url, stepTimeoutMs);
    // Mail re-emits transport errors; without a listener one would crash the process.
    this.transporter.on("error", (error: unknown) => {
      this.logger.warn({ err: describe(error) }, "smtp transport error");
    });
  }

  async send(message: MailMessage): Promise<void> {
    try {
      const info = await this.transporter.sendMail({
        from: this.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html === undefined ? {} : { html: message.html }),
        headers: { "X-Mail-Tag": message.tag },
        signal: AbortSignal.timeout(this.sendDeadlineMs),
      });
      this.logger.debug({ tag: message.tag, messageId: info.messageId }, "mail sent");
    } catch (error) {
      // Never the body: it carries one-time codes and tokens.
      this.logger.warn({ err: describe(error), tag: message.tag }, "mail delivery failed");
      throw new ServiceUnavailableError("mail");
    }
  }

  async ping(): Promise<void> {
    try {
      await this.transporter.verify();
    } catch (error) {
      this.logger.warn({ err: describe(error) }, "smtp server unreachable");
      throw new ServiceUnavailableError("mail");
    }
  }

  /** Closes pooled connections (on shutdown). */
  close(): void {
    this.transporter.close();
  }
}

function safeProtocol(url: string): string | undefined {
  try {
    return new URL(url).protocol;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  // Only the message: an SMTP error object can carry the failed command and credentials.
  return error instanceof Error ? error.message : String(error);
}

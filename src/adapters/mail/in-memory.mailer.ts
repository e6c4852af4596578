import type { MailMessage, Mailer } from "../../application/ports/mailer.port.js";
import { ServiceUnavailableError } from "../../domain/errors.js";

/** For tests: keeps what was sent so a test can read the code out of the last mail. */
export class InMemoryMailer implements Mailer {
  private readonly outbox: MailMessage[] = [];
  private unavailable = false;

  /** Copies, so a test cannot rewrite history by mutating what it reads. */
  get sent(): MailMessage[] {
    return structuredClone(this.outbox);
  }

  /** The most recent mail, optionally to one address and/or of one tag. */
  last(to?: string, tag?: string): MailMessage | undefined {
    for (let i = this.outbox.length - 1; i >= 0; i--) {
      const message = this.outbox[i];
      if (message === undefined) continue;
      if (to !== undefined && message.to !== to) continue;
      if (tag !== undefined && message.tag !== tag) continue;
      return structuredClone(message);
    }
    return undefined;
  }

  clear(): void {
    this.outbox.length = 0;
  }

  /** Simulates an unreachable transport: send and ping reject as SmtpMailer does. */
  setUnavailable(unavailable: boolean): void {
    this.unavailable = unavailable;
  }

  async send(message: MailMessage): Promise<void> {
    await Promise.resolve();
    if (this.unavailable) throw new ServiceUnavailableError("mail");
    this.outbox.push(structuredClone(message));
  }

  async ping(): Promise<void> {
    await Promise.resolve();
    if (this.unavailable) throw new ServiceUnavailableError("mail");
  }
}

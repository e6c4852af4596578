export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Machine-readable kind, for logs and tests ("verify-email", "signup-notice", ...). */
  tag: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /** Throws when the transport is unreachable. */
  ping(): Promise<void>;
}

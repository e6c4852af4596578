import { expect } from "chai";
import type { MailMessage, Mailer } from "../../src/application/ports/mailer.port.js";

/** A mail as the receiving side saw it, whatever the transport. */
export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  tag: string;
}

export interface MailerHarness {
  adapter: Mailer;
  /** Everything delivered so far, read back from where the adapter put it. */
  received(): Promise<ReceivedMail[]>;
  cleanup(): Promise<void>;
}

function sample(overrides: Partial<MailMessage> = {}): MailMessage {
  return {
    to: "alice@example.com",
    subject: "Verify your email",
    text: "Your code is 482913. It expires in 10 minutes.",
    tag: "verify-email",
    ...overrides,
  };
}

export function mailerContract(factory: () => Promise<MailerHarness>): void {
  let harness: MailerHarness;

  beforeEach(async () => {
    harness = await factory();
  });

  afterEach(async () => {
    await harness.cleanup();
  });

  it("delivers recipient, subject, text and tag of a text-only mail", async () => {
    await harness.adapter.send(sample());

    const received = await harness.received();
    expect(received).to.have.length(1);
    const mail = received[0];
    expect(mail?.to).to.equal("alice@example.com");
    expect(mail?.subject).to.equal("Verify your email");
    expect(mail?.text.trim()).to.equal("Your code is 482913. It expires in 10 minutes.");
    expect(mail?.tag).to.equal("verify-email");
    expect(mail?.html).to.equal(undefined);
  });

  it("delivers the html alternative alongside the text", async () => {
    await harness.adapter.send(
      sample({ html: "<p>Your code is <strong>482913</strong>.</p>", text: "Your code is 482913." }),
    );

    const [mail] = await harness.received();
    expect(mail?.text.trim()).to.equal("Your code is 482913.");
    expect(mail?.html?.trim()).to.equal("<p>Your code is <strong>482913</strong>.</p>");
  });

  it("keeps non-ASCII subjects and bodies intact", async () => {
    await harness.adapter.send(
      sample({ subject: "Bestätigen Sie Ihre E-Mail – 验证", text: "Grüße, Zoë — ваш код 123456" }),
    );

    const [mail] = await harness.received();
    expect(mail?.subject).to.equal("Bestätigen Sie Ihre E-Mail – 验证");
    expect(mail?.text.trim()).to.equal("Grüße, Zoë — ваш код 123456");
  });

  it("delivers every mail of a burst once, each to its own recipient", async () => {
    const recipients = ["a@example.com", "b@example.com", "c@example.com", "d@example.com"];
    await Promise.all(
      recipients.map((to, i) => harness.adapter.send(sample({ to, text: `code ${i}`, tag: `burst-${i}` }))),
    );

    const received = await harness.received();
    expect(received).to.have.length(recipients.length);
    const byRecipient = new Map(received.map((m) => [m.to, m]));
    recipients.forEach((to, i) => {
      expect(byRecipient.get(to)?.text.trim(), to).to.equal(`code ${i}`);
      expect(byRecipient.get(to)?.tag, to).to.equal(`burst-${i}`);
    });
  });

  it("delivers what was passed at send time, even if the caller mutates the object afterwards", async () => {
    const message = sample();
    await harness.adapter.send(message);
    message.text = "tampered";
    message.to = "mallory@example.com";

    const [mail] = await harness.received();
    expect(mail?.to).to.equal("alice@example.com");
    expect(mail?.text.trim()).to.equal("Your code is 482913. It expires in 10 minutes.");
  });

  it("answers a ping while the transport is reachable", async () => {
    await harness.adapter.ping();
  });
}

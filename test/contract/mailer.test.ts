import { expect } from "chai";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { SMTPServer } from "smtp-server";
import type { Logger } from "../../src/application/ports/logger.port.js";
import type { MailMessage } from "../../src/application/ports/mailer.port.js";
import { InMemoryMailer } from "../../src/adapters/mail/in-memory.mailer.js";
import { OutboxMailer } from "../../src/adapters/mail/outbox.mailer.js";
import { SmtpMailer } from "../../src/adapters/mail/smtp.mailer.js";
import { ServiceUnavailableError } from "../../src/domain/errors.js";
import { mailerContract, type ReceivedMail } from "./mailer.contract.js";

interface LogLine {
  level: "info" | "warn" | "error" | "debug";
  obj: object;
  msg: string | undefined;
}

function captureLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine["level"]) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, info: at("info"), warn: at("warn"), error: at("error"), debug: at("debug") };
}

async function expectUnavailable(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).dependency).to.equal("mail");
    return;
  }
  expect.fail("expected a ServiceUnavailableError");
}

const message: MailMessage = {
  to: "alice@example.com",
  subject: "Verify your email",
  text: "Your code is 482913.",
  tag: "verify-email",
};

describe("Mailer contract: InMemoryMailer", () => {
  mailerContract(async () => {
    const adapter = new InMemoryMailer();
    return {
      adapter,
      received: async () => adapter.sent,
      cleanup: async () => undefined,
    };
  });
});

describe("InMemoryMailer", () => {
  it("finds the latest mail by recipient and tag, and forgets everything on clear()", async () => {
    const mailer = new InMemoryMailer();
    await mailer.send({ ...message, text: "first" });
    await mailer.send({ ...message, to: "bob@example.com", text: "bob's" });
    await mailer.send({ ...message, text: "second" });
    await mailer.send({ ...message, tag: "signup-notice", text: "notice" });

    expect(mailer.last()?.text).to.equal("notice");
    expect(mailer.last("alice@example.com", "verify-email")?.text).to.equal("second");
    expect(mailer.last("bob@example.com")?.text).to.equal("bob's");
    expect(mailer.last(undefined, "signup-notice")?.text).to.equal("notice");
    expect(mailer.last("carol@example.com")).to.equal(undefined);

    mailer.clear();
    expect(mailer.sent).to.deep.equal([]);
    expect(mailer.last()).to.equal(undefined);
  });

  it("hands out copies, so a reader cannot alter what was recorded", async () => {
    const mailer = new InMemoryMailer();
    await mailer.send(message);
    const copy = mailer.sent[0];
    if (copy) copy.text = "tampered";
    const latest = mailer.last();
    if (latest) latest.text = "tampered";

    expect(mailer.sent[0]?.text).to.equal("Your code is 482913.");
    expect(mailer.last()?.text).to.equal("Your code is 482913.");
  });

  it("simulates an unreachable transport on demand", async () => {
    const mailer = new InMemoryMailer();
    mailer.setUnavailable(true);
    await expectUnavailable(mailer.send(message));
    await expectUnavailable(mailer.ping());
    expect(mailer.sent).to.have.length(0);

    mailer.setUnavailable(false);
    await mailer.send(message);
    expect(mailer.sent).to.have.length(1);
  });
});

async function readOutbox(dir: string): Promise<Array<ReceivedMail & { sentAt: string; file: string }>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const files = names.filter((n) => n.endsWith(".json")).sort();
  return Promise.all(
    files.map(async (file) => ({ ...JSON.parse(await readFile(path.join(dir, file), "utf8")), file })),
  );
}

describe("Mailer contract: OutboxMailer", () => {
  mailerContract(async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "outbox-mailer-"));
    // Nested and not yet there: the mailer creates it.
    const dir = path.join(root, "data", "outbox");
    return {
      adapter: new OutboxMailer({ dir, logger: captureLogger() }),
      received: async () => (await readOutbox(dir)).map(({ to, subject, text, html, tag }) => ({ to, subject, text, html, tag })),
      cleanup: () => rm(root, { recursive: true, force: true }),
    };
  });
});

describe("OutboxMailer", () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "outbox-mailer-"));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("names each file by time and tag, stamps sentAt, and keeps it private to the owner", async () => {
    const mailer = new OutboxMailer({ dir: root, logger: captureLogger() });
    const before = Date.now();
    await mailer.send(message);

    const [entry] = await readOutbox(root);
    expect(entry?.file).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-verify-email-[0-9a-f]{8}\.json$/);
    const sentAt = Date.parse(entry?.sentAt ?? "");
    expect(sentAt).to.be.within(before - 1000, Date.now() + 1000);
    if (process.platform !== "win32") {
      expect((await stat(path.join(root, entry?.file ?? ""))).mode & 0o777).to.equal(0o600);
    }
    // No half-written leftovers next to the mail.
    expect(await readdir(root)).to.have.length(1);
  });

  it("logs recipient, subject and tag but never the body, which holds the code", async () => {
    const logger = captureLogger();
    const mailer = new OutboxMailer({ dir: root, logger });
    await mailer.send({ ...message, html: "<b>482913</b>" });

    const infos = logger.lines.filter((l) => l.level === "info");
    expect(infos).to.have.length(1);
    expect(infos[0]?.obj).to.include({ to: "alice@example.com", subject: "Verify your email", tag: "verify-email" });
    expect(JSON.stringify(logger.lines)).not.to.contain("482913");
  });

  it("keeps a hostile tag from steering the file outside the outbox", async () => {
    const mailer = new OutboxMailer({ dir: path.join(root, "outbox"), logger: captureLogger() });
    await mailer.send({ ...message, tag: "../../escape/me" });

    expect(await readdir(root)).to.deep.equal(["outbox"]);
    const [entry] = await readOutbox(path.join(root, "outbox"));
    expect(entry?.tag).to.equal("../../escape/me");
  });

  it("rejects send and ping with ServiceUnavailableError when the directory cannot be created", async () => {
    const blocker = path.join(root, "not-a-dir");
    await writeFile(blocker, "");
    const mailer = new OutboxMailer({ dir: path.join(blocker, "outbox"), logger: captureLogger() });

    await expectUnavailable(mailer.send(message));
    await expectUnavailable(mailer.ping());
  });
});

// ---- SMTP ----------------------------------------------------------------------------------

interface Sink {
  port: number;
  messages: Buffer[];
  close(): Promise<void>;
}

async function startSink(options: { refuse?: string } = {}): Promise<Sink> {
  const messages: Buffer[] = [];
  const server = new SMTPServer({
    authOptional: true,
    // The sink has only a self-signed certificate; plain SMTP keeps the test about delivery.
    disabledCommands: ["STARTTLS"],
    logger: false,
    closeTimeout: 200,
    onRcptTo(address, _session, callback) {
      if (address.address === options.refuse) callback(Object.assign(new Error("No such user"), { responseCode: 550 }));
      else callback();
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        messages.push(Buffer.concat(chunks));
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.server.address();
  if (address === null || typeof address === "string") throw new Error("sink has no port");
  return {
    port: address.port,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port nothing listens on: bound once to learn a free number, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

// Just enough MIME to read back what nodemailer composes (mailparser is not installed).
function parseMime(raw: string): { headers: Map<string, string>; body: string } {
  const split = raw.indexOf("\r\n\r\n");
  const head = split === -1 ? raw : raw.slice(0, split);
  const body = split === -1 ? "" : raw.slice(split + 4);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function bytesFromEscapes(input: string, pattern: RegExp): Buffer {
  const parts: Buffer[] = [];
  let last = 0;
  for (const match of input.matchAll(pattern)) {
    parts.push(Buffer.from(input.slice(last, match.index), "utf8"), Buffer.from(match[1] ?? "", "hex"));
    last = (match.index ?? 0) + match[0].length;
  }
  parts.push(Buffer.from(input.slice(last), "utf8"));
  return Buffer.concat(parts);
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/(?:=\?[^?]+\?[BbQq]\?[^?]*\?=)+/g, (run) => {
      const bytes = [...run.matchAll(/=\?[^?]+\?([BbQq])\?([^?]*)\?=/g)].map(([, enc, data = ""]) =>
        enc?.toUpperCase() === "B" ? Buffer.from(data, "base64") : bytesFromEscapes(data.replace(/_/g, " "), /=([0-9A-Fa-f]{2})/g),
      );
      return Buffer.concat(bytes).toString("utf8");
    });
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch (encoding?.toLowerCase()) {
    case "base64":
      return Buffer.from(body, "base64").toString("utf8");
    case "quoted-printable":
      return bytesFromEscapes(body.replace(/=\r\n/g, ""), /=([0-9A-Fa-f]{2})/g).toString("utf8");
    default:
      return body;
  }
}

function collectParts(part: { headers: Map<string, string>; body: string }, out: { text?: string; html?: string }): void {
  const type = part.headers.get("content-type") ?? "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (type.toLowerCase().startsWith("multipart/") && boundary) {
    const sections = part.body.split(`--${boundary}`).slice(1, -1);
    for (const section of sections) collectParts(parseMime(section.replace(/^\r\n/, "")), out);
    return;
  }
  const decoded = decodeBody(part.body, part.headers.get("content-transfer-encoding")).replace(/\r\n/g, "\n");
  if (type.toLowerCase().startsWith("text/html")) out.html = decoded;
  else if (type.toLowerCase().startsWith("text/plain")) out.text = decoded;
}

function readSmtpMail(raw: Buffer): ReceivedMail & { from: string } {
  const message = parseMime(raw.toString("utf8"));
  const content: { text?: string; html?: string } = {};
  collectParts(message, content);
  const address = (header: string) => /[^<\s,"]+@[^>\s,"]+/.exec(message.headers.get(header) ?? "")?.[0] ?? "";
  return {
    from: address("from"),
    to: address("to"),
    subject: decodeWords(message.headers.get("subject") ?? ""),
    text: content.text ?? "",
    ...(content.html === undefined ? {} : { html: content.html }),
    tag: message.headers.get("x-mail-tag") ?? "",
  };
}

describe("Mailer contract: SmtpMailer", () => {
  mailerContract(async () => {
    const sink = await startSink();
    const adapter = new SmtpMailer({
      url: `smtp://127.0.0.1:${sink.port}`,
      from: "Hybrid Auth <no-reply@example.com>",
      logger: captureLogger(),
    });
    return {
      adapter,
      received: async () => sink.messages.map(readSmtpMail).map(({ from: _from, ...mail }) => mail),
      cleanup: async () => {
        adapter.close();
        await sink.close();
      },
    };
  });
});

describe("SmtpMailer", () => {
  it("sends from the configured address", async () => {
    const sink = await startSink();
    const mailer = new SmtpMailer({ url: `smtp://127.0.0.1:${sink.port}`, from: "Hybrid Auth <no-reply@example.com>", logger: captureLogger() });
    try {
      await mailer.send(message);
      expect(readSmtpMail(sink.messages[0] ?? Buffer.alloc(0)).from).to.equal("no-reply@example.com");
    } finally {
      mailer.close();
      await sink.close();
    }
  });

  it("rejects send and ping with ServiceUnavailableError, quickly, when nothing listens", async () => {
    const logger = captureLogger();
    const mailer = new SmtpMailer({ url: `smtp://127.0.0.1:${await closedPort()}`, from: "no-reply@example.com", logger });
    try {
      const started = Date.now();
      await expectUnavailable(mailer.send(message));
      await expectUnavailable(mailer.ping());
      expect(Date.now() - started).to.be.below(6000);
      expect(JSON.stringify(logger.lines)).not.to.contain("482913");
    } finally {
      mailer.close();
    }
  });

  it("gives up on a server that accepts the connection but never greets", async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    const address = silent.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    const mailer = new SmtpMailer({
      url: `smtp://127.0.0.1:${address.port}`,
      from: "no-reply@example.com",
      logger: captureLogger(),
      timeoutMs: 300,
    });
    try {
      const started = Date.now();
      await expectUnavailable(mailer.send(message));
      await expectUnavailable(mailer.ping());
      expect(Date.now() - started).to.be.below(3000);
    } finally {
      mailer.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("rejects with ServiceUnavailableError when the server refuses the recipient", async () => {
    const sink = await startSink({ refuse: "ghost@example.com" });
    const mailer = new SmtpMailer({ url: `smtp://127.0.0.1:${sink.port}`, from: "no-reply@example.com", logger: captureLogger() });
    try {
      await expectUnavailable(mailer.send({ ...message, to: "ghost@example.com" }));
      expect(sink.messages).to.have.length(0);
    } finally {
      mailer.close();
      await sink.close();
    }
  });

  it("refuses a URL that is not smtp:// or smtps://", () => {
    for (const url of ["http://mail.example.com", "not a url", "direct:"]) {
      expect(() => new SmtpMailer({ url, from: "no-reply@example.com", logger: captureLogger() }), url).to.throw(/SMTP_URL/);
    }
  });
});

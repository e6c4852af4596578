import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
// Imported by the package name, as an embedding application would: this goes through the
// "exports" map of package.json (types for tsc, the TypeScript source under tsx).
import {
  AccountDeactivatedError,
  createHybridAuth,
  EmailNotVerifiedError,
  InMemoryAuditLog,
  InMemoryUserRepository,
  InvalidCredentialsError,
  SessionRevokedError,
  UserNotFoundError,
  type Clock,
  type HybridAuth,
  type MailMessage,
  type Mailer,
  type PasswordHasher,
  type RequestMeta,
} from "hybrid-auth";

/** The embedding application's own mail transport: keeps every message, mails slowly. */
class CapturingMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  constructor(private readonly delayMs = 0) {}
  async send(message: MailMessage): Promise<void> {
    await new Promise((r) => setTimeout(r, this.delayMs));
    this.sent.push(message);
  }
  async ping(): Promise<void> {}
  codeFor(to: string): string {
    const mail = this.sent.filter((m) => m.to === to && m.tag === "verify-email").at(-1);
    const code = mail?.text.match(/\b(\d{6})\b/)?.[1];
    if (!code) throw new Error(`no verification code mailed to ${to}`);
    return code;
  }
}

/** The application's own clock, moved by the test. */
class TestClock implements Clock {
  constructor(private ms = Date.parse("2031-05-01T10:00:00Z")) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Cheap and deterministic, so the suite does not spend its time in bcrypt. */
const plainHasher: PasswordHasher = {
  hash: async (password) => `plain:${password}`,
  verify: async (password, hash) => hash === `plain:${password}`,
  verifyDummy: async () => {},
};

/** What a promise rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

const META: RequestMeta = { ip: "198.51.100.4", userAgent: "embedding-test" };
const PASSWORD = "correct horse battery";

describe("Library: createHybridAuth with adapters supplied by the caller", () => {
  let auth: HybridAuth;
  let mailer: CapturingMailer;
  let clock: TestClock;
  let users: InMemoryUserRepository;
  let auditLog: InMemoryAuditLog;

  beforeEach(async () => {
    mailer = new CapturingMailer(20);
    clock = new TestClock();
    users = new InMemoryUserRepository();
    auditLog = new InMemoryAuditLog();
    auth = await createHybridAuth({ adapters: { mailer, clock, userRepository: users, auditLog, passwordHasher: plainHasher } });
  });
  afterEach(() => auth.close());

  it("signs a user up, verifies the mailed code and signs in, on the caller's own repository and mailer", async () => {
    const { signUp, verifyUser, signIn, getProfile, authenticateAccessToken } = auth.useCases;
    await signUp.execute({ name: "Ada", email: "Ada@Example.com", password: PASSWORD });
    // Mail goes out in the background; settled() is how a script waits for it.
    await auth.settled();
    const stored = await users.findByEmail("ada@example.com");
    expect(stored, "the user is in the caller's repository").to.include({ name: "Ada", isEmailVerified: false });
    expect(await rejection(signIn.execute({ email: "ada@example.com", password: PASSWORD, meta: META }))).to.be.instanceOf(EmailNotVerifiedError);

    await verifyUser.execute({ email: "ada@example.com", otpCode: mailer.codeFor("Ada@Example.com") });
    const { user, tokens, session } = await signIn.execute({ email: "ADA@example.com", password: PASSWORD, meta: META });
    expect(user.isEmailVerified).to.equal(true);
    expect(session.createdAt.toISOString(), "sessions are stamped by the caller's clock").to.equal("2031-05-01T10:00:00.000Z");

    const claims = await authenticateAccessToken.execute({ accessToken: tokens.accessToken });
    expect(claims).to.include({ userId: user.id, sessionId: session.id });
    expect((await getProfile.execute({ userId: user.id })).user.email).to.equal("Ada@Example.com");

    await auth.settled();
    const events = (await auditLog.listForUser(user.id, 10)).map((e) => e.event);
    expect(events, "audit entries land in the caller's audit log").to.include.members(["email-verified", "sign-in"]);
    expect(auth.backends).to.deep.equal({ database: "custom", sessions: "memory", mail: "custom" });
  });

  it("keeps the domain's rules: same error for an unknown email and a wrong password, typed errors to catch", async () => {
    const { createVerifiedUser, signIn } = auth.useCases;
    await createVerifiedUser.execute({ name: "Bob", email: "bob@example.com", password: PASSWORD });
    const unknown = await signIn.execute({ email: "nobody@example.com", password: PASSWORD, meta: META }).catch((e: unknown) => e);
    const wrong = await signIn.execute({ email: "bob@example.com", password: "not the password", meta: META }).catch((e: unknown) => e);
    expect(unknown).to.be.instanceOf(InvalidCredentialsError);
    expect(wrong).to.be.instanceOf(InvalidCredentialsError);
    expect((wrong as InvalidCredentialsError).code).to.equal("INVALID_CREDENTIALS");
  });

  it("runs time on the caller's clock: an access token dies after 15 minutes of it", async () => {
    const { createVerifiedUser, signIn, authenticateAccessToken } = auth.useCases;
    await createVerifiedUser.execute({ name: "Cy", email: "cy@example.com", password: PASSWORD });
    const { tokens } = await signIn.execute({ email: "cy@example.com", password: PASSWORD, meta: META });
    clock.advance(14 * 60_000);
    await authenticateAccessToken.execute({ accessToken: tokens.accessToken });
    clock.advance(2 * 60_000);
    const err = await authenticateAccessToken.execute({ accessToken: tokens.accessToken }).catch((e: unknown) => e);
    expect(err).to.have.property("code").that.is.oneOf(["INVALID_TOKEN", "SESSION_REVOKED"]);
  });

  it("gives operators the token-free lifecycle: deactivate ends sessions, restore, erase", async () => {
    const { createVerifiedUser, signIn, authenticateAccessToken, deactivateAccount, restoreAccount, eraseAccount, findUserByEmail } = auth.useCases;
    await createVerifiedUser.execute({ name: "Dee", email: "dee@example.com", password: PASSWORD });
    const { tokens } = await signIn.execute({ email: "dee@example.com", password: PASSWORD, meta: META });

    const off = await deactivateAccount.execute({ email: "dee@example.com" });
    expect(off.revokedSessions).to.equal(1);
    expect(off.purgeAfter.getTime() - off.deactivatedAt.getTime()).to.equal(30 * 24 * 3600_000);
    expect(await rejection(authenticateAccessToken.execute({ accessToken: tokens.accessToken }))).to.be.instanceOf(SessionRevokedError);
    expect(await rejection(deactivateAccount.execute({ email: "dee@example.com" }))).to.be.instanceOf(AccountDeactivatedError);
    await auth.settled();
    expect(mailer.sent.map((m) => m.tag), "the owner is told").to.include("account-deactivated");

    await restoreAccount.execute({ email: "dee@example.com" });
    await signIn.execute({ email: "dee@example.com", password: PASSWORD, meta: META });
    await eraseAccount.execute({ email: "dee@example.com" });
    expect(await rejection(findUserByEmail.execute({ email: "dee@example.com" }))).to.be.instanceOf(UserNotFoundError);
    expect(await users.findByEmail("dee@example.com")).to.equal(null);
  });

  it("close() waits for mail still on its way", async () => {
    const slow = new CapturingMailer(150);
    const other = await createHybridAuth({ adapters: { mailer: slow, passwordHasher: plainHasher } });
    await other.useCases.signUp.execute({ name: "Eve", email: "eve@example.com", password: PASSWORD });
    expect(slow.sent).to.have.length(0);
    await other.close();
    expect(slow.sent.map((m) => m.tag)).to.deep.equal(["verify-email"]);
  });
});

// From a real configuration (PGlite, PostgreSQL + Redis): test/embedding/cli-process.test.ts and
// the examples, which open it in their own processes.
describe("Library: createHybridAuth from a configuration", () => {
  it("in memory, writes nothing to DATA_DIR", async () => {
    const untouched = path.join(os.tmpdir(), `hybrid-auth-untouched-${randomUUID()}`);
    const mem = await createHybridAuth({ config: { DATA_DIR: untouched }, defaults: "memory", adapters: { passwordHasher: plainHasher } });
    await mem.useCases.createVerifiedUser.execute({ name: "Gil", email: "gil@example.com", password: PASSWORD });
    await mem.close();
    expect(mem.backends).to.deep.equal({ database: "memory", sessions: "memory", mail: "memory" });
    expect(existsSync(untouched)).to.equal(false);
  });
});

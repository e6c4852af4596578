import { expect } from "chai";
import { runCli, type CliHost, type CliIo } from "../../src/adapters/cli/cli.js";
import type { PasswordHasher } from "../../src/application/ports/security.port.js";
import { InMemoryMailer } from "../../src/adapters/mail/in-memory.mailer.js";
import { InMemoryUserRepository } from "../../src/adapters/persistence/in-memory-user.repository.js";
import { InMemoryAvatarStorage } from "../../src/adapters/storage/in-memory-avatar.storage.js";
import { runPurge } from "../../src/infrastructure/features/account.feature.js";
import { openHybridAuth, type HybridAuthUseCases } from "../../src/infrastructure/library.js";
import { ManualClock } from "../support/manual-clock.js";

/**
 * The CLI driver in-process, on the real use cases with in-memory adapters: every command, the
 * usage text, exit statuses and --json, without paying a process start per case. The same
 * runCli behind the real bin is driven as a process in cli-process.test.ts.
 */

const plainHasher: PasswordHasher = {
  hash: async (p) => `plain:${p}`,
  verify: async (p, h) => h === `plain:${p}`,
  verifyDummy: async () => {},
};
const PASSWORD = "correct horse battery";
const META = { ip: "198.51.100.9", userAgent: "cli-test" };

interface Run {
  status: number;
  out: string;
  err: string;
  json: () => Record<string, unknown>;
}

describe("CLI (in-process, in-memory use cases)", () => {
  let useCases: HybridAuthUseCases;
  let clock: ManualClock;
  let mailer: InMemoryMailer;
  let users: InMemoryUserRepository;
  let avatars: InMemoryAvatarStorage;
  let host: CliHost;
  let shared: boolean;
  let opens: number;
  let closeAll: () => Promise<void>;
  let settle: () => Promise<void>;

  beforeEach(async () => {
    clock = new ManualClock(new Date("2031-01-01T00:00:00Z"));
    mailer = new InMemoryMailer();
    users = new InMemoryUserRepository();
    avatars = new InMemoryAvatarStorage();
    const { auth, context } = await openHybridAuth({ adapters: { mailer, clock, passwordHasher: plainHasher, userRepository: users, avatarStorage: avatars } });
    useCases = auth.useCases;
    closeAll = () => auth.close();
    settle = () => auth.settled();
    shared = true;
    opens = 0;
    host = {
      version: "1.2.3",
      configuration: async () => ({ databaseUrl: "postgres://u:***@db/x", secrets: { jwtAccess: "***" } }),
      migrate: async () => ({ database: "postgres", location: "postgres://u:***@db/x" }),
      open: async () => {
        opens++;
        return { useCases, sharedSessionStore: shared, purge: () => runPurge(context.container), close: async () => {} };
      },
    };
  });
  afterEach(() => closeAll());

  async function cli(argv: string[], stdin: string | null = null): Promise<Run> {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), readStdin: async () => stdin };
    const status = await runCli(argv, io, host);
    const o = out.join("\n");
    return { status, out: o, err: err.join("\n"), json: () => JSON.parse(o) as Record<string, unknown> };
  }

  async function verifiedUser(email: string): Promise<void> {
    await useCases.createVerifiedUser.execute({ name: "Test", email, password: PASSWORD });
  }

  describe("usage", () => {
    it("--help lists every command and the exit statuses, and opens nothing", async () => {
      const r = await cli(["--help"]);
      expect(r.status).to.equal(0);
      for (const cmd of ["create-user", "lock", "unlock", "sessions", "revoke-session", "revoke-sessions", "soft-delete", "hard-delete", "reactivate", "purge", "migrate", "config"])
        expect(r.out).to.match(new RegExp(`^  ${cmd} `, "m"));
      expect(r.out).to.include("0 done, 1 the operation failed");
      expect(opens).to.equal(0);
    });

    it("explains one command with `help <command>` and `<command> --help`", async () => {
      const a = await cli(["help", "revoke-session"]);
      const b = await cli(["revoke-session", "--help"]);
      expect(a.status).to.equal(0);
      expect(a.out).to.include("Usage: hybrid-auth revoke-session <email> <sessionId>");
      expect(b.out).to.equal(a.out);
      expect((await cli(["create-user", "-h"])).out).to.include("--name <name>").and.include("stdin");
      expect((await cli(["--version"])).out).to.equal("1.2.3");
    });

    const cases: Array<[string, string[], RegExp]> = [
      ["no command", [], /no command given/],
      ["an unknown command", ["frobnicate"], /unknown command frobnicate/],
      ["a missing argument", ["sessions"], /missing <email>/],
      ["an extra argument", ["unlock", "a@example.com", "b@example.com"], /unexpected argument b@example.com/],
      ["an unknown option", ["unlock", "a@example.com", "--force"], /unknown option --force/],
      ["an option without its value", ["create-user", "a@example.com", "--name"], /--name needs a value/],
      ["a required option left out", ["create-user", "a@example.com", "--password", PASSWORD], /--name is required/],
      ["a malformed number", ["lock", "a@example.com", "--seconds", "ten"], /--seconds must be a whole number/],
      ["an unconfirmed erasure", ["hard-delete", "a@example.com"], /add --yes to confirm/],
      ["an address that is not one", ["create-user", "not-an-email", "--name", "X", "--password", PASSWORD], /email: Must be a valid email address/],
    ];
    for (const [what, argv, message] of cases) {
      it(`exits 2 for ${what}, with the reason and usage on stderr, or a JSON error with --json`, async () => {
        const r = await cli(argv);
        expect(r.status).to.equal(2);
        expect(r.out).to.equal("");
        expect(r.err).to.match(message);
        expect(r.err).to.match(/Usage: hybrid-auth|--help|VALIDATION_FAILED/);
        const j = await cli([...argv, "--json"]);
        expect(j.status).to.equal(2);
        const doc = j.json();
        expect(doc.ok).to.equal(false);
        expect((doc.error as { code: string }).code).to.be.oneOf(["USAGE", "VALIDATION_FAILED"]);
        expect((doc.error as { message: string }).message).to.match(message);
      });
    }
  });

  describe("create-user", () => {
    it("reads the password from stdin (dropping one trailing newline) and creates an account that signs in at once", async () => {
      const r = await cli(["create-user", "Ada@Example.com", "--name", "Ada Lovelace", "--json"], `${PASSWORD}\n`);
      expect(r.status, r.err).to.equal(0);
      const doc = r.json();
      expect(doc).to.include({ ok: true, command: "create-user" });
      expect(doc.user).to.include({ email: "Ada@Example.com", name: "Ada Lovelace", isEmailVerified: true });
      expect(doc.user).to.not.have.property("passwordHash");
      const { user } = await useCases.signIn.execute({ email: "ada@example.com", password: PASSWORD, meta: META });
      expect(user.id).to.equal((doc.user as { id: string }).id);
      expect(mailer.sent, "no verification mail for an operator-created account").to.have.length(0);
    });

    it("takes --password too, and says EMAIL_TAKEN with exit 1 for an address that has an account", async () => {
      expect((await cli(["create-user", "bo@example.com", "--name", "Bo", "--password", PASSWORD])).status).to.equal(0);
      const again = await cli(["create-user", "BO@example.com", "--name", "Bo", "--password", PASSWORD]);
      expect(again.status).to.equal(1);
      expect(again.err).to.include("(EMAIL_TAKEN)");
    });

    it("refuses without a password: nothing piped (a terminal), or an empty stdin", async () => {
      const tty = await cli(["create-user", "cy@example.com", "--name", "Cy"], null);
      expect([tty.status, tty.err]).to.satisfy(([s, e]: [number, string]) => s === 2 && e.includes("pipe it on stdin or pass --password"));
      expect((await cli(["create-user", "cy@example.com", "--name", "Cy"], "\n")).status).to.equal(2);
      const weak = await cli(["create-user", "cy@example.com", "--name", "Cy", "--json"], "short");
      expect(weak.status).to.equal(2);
      expect(weak.json().error).to.deep.include({ code: "VALIDATION_FAILED", fields: { password: ["Must be at least 8 characters"] } });
    });
  });

  describe("sessions", () => {
    it("lists a user's sessions, ends one, then all; the ended tokens stop working", async () => {
      await verifiedUser("dee@example.com");
      const phone = await useCases.signIn.execute({ email: "dee@example.com", password: PASSWORD, meta: { ip: "203.0.113.1", userAgent: "phone" } });
      const laptop = await useCases.signIn.execute({ email: "dee@example.com", password: PASSWORD, meta: { ip: "203.0.113.2", userAgent: "laptop" } });

      const list = await cli(["sessions", "dee@example.com", "--json"]);
      expect(list.status).to.equal(0);
      const sessions = list.json().sessions as Array<{ id: string; userAgent: string; ip: string }>;
      expect(sessions.map((s) => [s.id, s.userAgent, s.ip])).to.have.deep.members([
        [phone.session.id, "phone", "203.0.113.1"],
        [laptop.session.id, "laptop", "203.0.113.2"],
      ]);
      expect(JSON.stringify(list.json())).to.not.match(/refreshTokenHash|passwordHash/);
      const text = await cli(["sessions", "dee@example.com"]);
      expect(text.out).to.include("2 live sessions of dee@example.com").and.include(phone.session.id).and.include("laptop");

      const one = await cli(["revoke-session", "dee@example.com", phone.session.id]);
      expect(one.status).to.equal(0);
      expect(one.out).to.include(`Ended session ${phone.session.id}`);
      const gone = await useCases.authenticateAccessToken.execute({ accessToken: phone.tokens.accessToken }).catch((e: { code: string }) => e.code);
      expect(gone).to.equal("SESSION_REVOKED");
      await useCases.authenticateAccessToken.execute({ accessToken: laptop.tokens.accessToken });

      const again = await cli(["revoke-session", "dee@example.com", phone.session.id, "--json"]);
      expect(again.status).to.equal(1);
      expect(again.json().error).to.deep.include({ code: "SESSION_NOT_FOUND" });

      const all = await cli(["revoke-sessions", "dee@example.com", "--json"]);
      expect(all.json()).to.include({ ok: true, revoked: 1 });
      expect((await cli(["sessions", "dee@example.com"])).out).to.equal("dee@example.com has no live session.");
    });

    it("answers USER_NOT_FOUND (exit 1) for an address without an account, and will not end another user's session", async () => {
      await verifiedUser("eve@example.com");
      await verifiedUser("fay@example.com");
      const fays = await useCases.signIn.execute({ email: "fay@example.com", password: PASSWORD, meta: META });
      const r = await cli(["sessions", "nobody@example.com", "--json"]);
      expect([r.status, (r.json().error as { code: string }).code]).to.deep.equal([1, "USER_NOT_FOUND"]);
      expect((await cli(["revoke-session", "eve@example.com", fays.session.id])).status).to.equal(1);
      await useCases.authenticateAccessToken.execute({ accessToken: fays.tokens.accessToken });
    });

    it("refuses session and lock commands when the session store is private to this process (no REDIS_URL)", async () => {
      shared = false;
      await verifiedUser("gil@example.com");
      for (const argv of [["sessions", "gil@example.com"], ["revoke-sessions", "gil@example.com"], ["lock", "gil@example.com"], ["unlock", "gil@example.com"]]) {
        const r = await cli([...argv, "--json"]);
        expect(r.status, argv.join(" ")).to.equal(1);
        expect(r.json().error).to.deep.include({ code: "SESSIONS_NOT_SHARED" });
      }
      const soft = await cli(["soft-delete", "gil@example.com"]);
      expect(soft.status, "the account commands still work, with a warning").to.equal(0);
      expect(soft.err).to.match(/^warning: REDIS_URL is not set/);
    });
  });

  describe("lock and unlock", () => {
    it("blocks password sign-in for an email, and lifts the block", async () => {
      await verifiedUser("hal@example.com");
      const lock = await cli(["lock", "hal@example.com", "--seconds", "600", "--json"]);
      expect(lock.json()).to.include({ ok: true, blockedForSeconds: 600 });
      const refused = await useCases.signIn.execute({ email: "hal@example.com", password: PASSWORD, meta: META }).catch((e: { code: string }) => e.code);
      expect(refused).to.equal("TOO_MANY_ATTEMPTS");
      expect((await cli(["lock", "hal@example.com", "--seconds", "999999"])).status, "beyond the policy's maximum").to.equal(2);

      expect((await cli(["unlock", "hal@example.com"])).status).to.equal(0);
      await useCases.signIn.execute({ email: "hal@example.com", password: PASSWORD, meta: META });
    });
  });

  describe("account lifecycle", () => {
    it("soft-deletes (sessions end, owner mailed), refuses a second time, reactivates, then erases with --yes", async () => {
      await verifiedUser("ivy@example.com");
      const s = await useCases.signIn.execute({ email: "ivy@example.com", password: PASSWORD, meta: META });

      const soft = await cli(["soft-delete", "ivy@example.com", "--json"]);
      expect(soft.status).to.equal(0);
      expect(soft.json()).to.include({ ok: true, revokedSessions: 1, purgeAfter: "2031-01-31T00:00:00.000Z" });
      expect((await useCases.findUserByEmail.execute({ email: "ivy@example.com" })).user.deactivatedAt).to.not.equal(null);
      expect(await useCases.authenticateAccessToken.execute({ accessToken: s.tokens.accessToken }).catch((e: { code: string }) => e.code)).to.equal("SESSION_REVOKED");
      const twice = await cli(["soft-delete", "ivy@example.com"]);
      expect([twice.status, twice.err]).to.deep.equal([1, "hybrid-auth: The account is already deactivated (ACCOUNT_DEACTIVATED)"]);

      const back = await cli(["reactivate", "ivy@example.com"]);
      expect(back.status).to.equal(0);
      expect((await cli(["reactivate", "ivy@example.com", "--json"])).json().error).to.deep.include({ code: "ACCOUNT_NOT_DEACTIVATED" });

      const erase = await cli(["hard-delete", "ivy@example.com", "--yes", "--json"]);
      expect(erase.status).to.equal(0);
      expect((await cli(["hard-delete", "ivy@example.com", "--yes"])).status).to.equal(1);
      await settle();
      expect(mailer.sent.map((m) => m.tag)).to.deep.equal(["account-deactivated", "account-reactivated", "account-deleted"]);
    });

    it("reactivation after the window is refused, and purge erases what is due (exit 1 only when some fail)", async () => {
      await verifiedUser("jo@example.com");
      await verifiedUser("kim@example.com");
      await cli(["soft-delete", "jo@example.com"]);
      clock.advance(31 * 24 * 3600_000);
      await cli(["soft-delete", "kim@example.com"]);
      const late = await cli(["reactivate", "jo@example.com", "--json"]);
      expect([late.status, (late.json().error as { code: string }).code]).to.deep.equal([1, "REACTIVATION_WINDOW_CLOSED"]);

      const purge = await cli(["purge", "--json"]);
      expect(purge.status).to.equal(0);
      expect(purge.json()).to.include({ ok: true, examined: 1, purged: 1, failed: 0 });
      expect((await cli(["sessions", "jo@example.com"])).status, "erased").to.equal(1);
      expect((await useCases.findUserByEmail.execute({ email: "kim@example.com" })).user.email, "not due yet").to.equal("kim@example.com");
      expect((await cli(["purge"])).out).to.equal("Purge: 0 due, 0 erased, 0 already gone, 0 failed.");

      // An account whose avatar cannot be removed (image store down) stays due: exit 1.
      const kim = (await useCases.findUserByEmail.execute({ email: "kim@example.com" })).user;
      const avatar = await avatars.store({ userId: kim.id, bytes: new Uint8Array([1, 2, 3]), contentType: "image/png" });
      await users.update(kim.id, { avatar });
      clock.advance(31 * 24 * 3600_000);
      avatars.setUnavailable(true);
      const failed = await cli(["purge", "--json"]);
      expect(failed.status).to.equal(1);
      expect(failed.json()).to.include({ ok: false, examined: 1, purged: 0, failed: 1 });
      avatars.setUnavailable(false);
      expect((await cli(["purge", "--json"])).json()).to.include({ ok: true, purged: 1 });
      expect(avatars.read(avatar.key), "the avatar went with it").to.equal(null);
    });
  });

  describe("maintenance", () => {
    it("config prints the host's masked configuration; migrate reports where it applied", async () => {
      const config = await cli(["config", "--json"]);
      expect(config.json()).to.deep.equal({ ok: true, command: "config", config: { databaseUrl: "postgres://u:***@db/x", secrets: { jwtAccess: "***" } } });
      expect((await cli(["config"])).out).to.equal("databaseUrl: postgres://u:***@db/x\nsecrets.jwtAccess: ***");
      expect((await cli(["migrate"])).out).to.equal("Migrations applied (postgres: postgres://u:***@db/x).");
      expect(opens, "neither opens the stores").to.equal(0);
    });

    it("turns a failure to open (bad configuration, database down) into exit 1 with the reason", async () => {
      host.open = async () => {
        throw new Error("DATABASE_URL is not a valid URL");
      };
      const r = await cli(["unlock", "a@example.com"]);
      expect([r.status, r.err]).to.deep.equal([1, "hybrid-auth: DATABASE_URL is not a valid URL"]);
      expect((await cli(["unlock", "a@example.com", "--json"])).json()).to.deep.equal({
        ok: false,
        command: "unlock",
        error: { code: "FAILED", message: "DATABASE_URL is not a valid URL" },
      });
    });
  });
});

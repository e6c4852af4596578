import { expect } from "chai";
import { SessionNotFoundError, SessionRevokedError } from "../../../src/domain/errors.js";
import { buildUseCases, rejectionOf, type UseCaseHarness } from "../../support/use-case-harness.js";

const PASSWORD = "correct horse battery";

describe("session management (ListSessions, RevokeSession, RevokeOtherSessions)", () => {
  let h: UseCaseHarness;
  let a1: Awaited<ReturnType<UseCaseHarness["signIn"]["execute"]>>;
  let a2: typeof a1;
  let a3: typeof a1;
  let bob: typeof a1;
  beforeEach(async () => {
    h = buildUseCases();
    a1 = await h.registerAndSignIn("alice@example.com", PASSWORD, { ip: "198.51.100.1", userAgent: "Laptop" });
    h.clock.advance(1_000);
    a2 = await h.signIn.execute({ email: "alice@example.com", password: PASSWORD, meta: { ip: "198.51.100.2", userAgent: "Phone" } });
    h.clock.advance(1_000);
    a3 = await h.signIn.execute({ email: "alice@example.com", password: PASSWORD, meta: { ip: null, userAgent: null } });
    bob = await h.registerAndSignIn("bob@example.com", PASSWORD);
  });

  describe("ListSessions", () => {
    it("lists the caller's live sessions, oldest first, marking only the current one", async () => {
      const { sessions } = await h.listSessions.execute({ userId: a1.user.id, currentSessionId: a2.session.id });
      expect(sessions.map((s) => s.id)).to.deep.equal([a1.session.id, a2.session.id, a3.session.id]);
      expect(sessions.map((s) => s.current)).to.deep.equal([false, true, false]);
      expect(sessions[0]).to.include({ ip: "198.51.100.1", userAgent: "Laptop" });
      expect(sessions[2]).to.include({ ip: null, userAgent: null });
      expect(sessions[0]!.createdAt.getTime()).to.equal(a1.session.createdAt.getTime());
      expect(sessions[0]!.expiresAt.getTime()).to.equal(a1.session.expiresAt.getTime());
    });

    it("exposes no refresh-token hash", async () => {
      const { sessions } = await h.listSessions.execute({ userId: a1.user.id, currentSessionId: a1.session.id });
      for (const s of sessions) {
        expect(Object.keys(s).sort()).to.deep.equal(
          ["createdAt", "current", "expiresAt", "id", "ip", "lastUsedAt", "userAgent"].sort(),
        );
      }
    });

    it("excludes other users' sessions", async () => {
      const alice = await h.listSessions.execute({ userId: a1.user.id, currentSessionId: a1.session.id });
      expect(alice.sessions.map((s) => s.id)).to.not.include(bob.session.id);
      const bobs = await h.listSessions.execute({ userId: bob.user.id, currentSessionId: bob.session.id });
      expect(bobs.sessions.map((s) => s.id)).to.deep.equal([bob.session.id]);
    });

    it("leaves out revoked and expired sessions", async () => {
      await h.sessions.revoke(a2.session.id);
      let { sessions } = await h.listSessions.execute({ userId: a1.user.id, currentSessionId: a1.session.id });
      expect(sessions.map((s) => s.id)).to.deep.equal([a1.session.id, a3.session.id]);
      h.clock.advance(7 * 24 * 3600_000 + 1_000);
      ({ sessions } = await h.listSessions.execute({ userId: a1.user.id, currentSessionId: a1.session.id }));
      expect(sessions).to.have.length(0);
    });
  });

  describe("RevokeSession", () => {
    it("revokes another of the caller's sessions; its access token is refused at once", async () => {
      const out = await h.revokeSession.execute({ userId: a1.user.id, sessionId: a2.session.id, currentSessionId: a1.session.id });
      expect(out).to.deep.equal({ wasCurrent: false });
      expect(await h.sessions.get(a2.session.id)).to.equal(null);
      expect(await rejectionOf(h.authenticate.execute({ accessToken: a2.tokens.accessToken }))).to.be.instanceOf(
        SessionRevokedError,
      );
      expect(await h.sessions.get(a1.session.id)).to.not.equal(null);
      expect(await h.sessions.get(a3.session.id)).to.not.equal(null);
    });

    it("reports wasCurrent when the caller revokes its own session", async () => {
      const out = await h.revokeSession.execute({ userId: a1.user.id, sessionId: a1.session.id, currentSessionId: a1.session.id });
      expect(out).to.deep.equal({ wasCurrent: true });
      expect(await h.sessions.get(a1.session.id)).to.equal(null);
    });

    it("answers another user's session id with SessionNotFoundError and leaves it alive", async () => {
      const err = await rejectionOf(
        h.revokeSession.execute({ userId: a1.user.id, sessionId: bob.session.id, currentSessionId: a1.session.id }),
      );
      expect(err).to.be.instanceOf(SessionNotFoundError);
      expect(await h.sessions.get(bob.session.id)).to.not.equal(null);
      await h.authenticate.execute({ accessToken: bob.tokens.accessToken });
    });

    it("answers an unknown or already revoked id with the same SessionNotFoundError", async () => {
      const unknown = await rejectionOf(
        h.revokeSession.execute({ userId: a1.user.id, sessionId: "00000000-0000-4000-8000-000000000000", currentSessionId: a1.session.id }),
      );
      expect(unknown).to.be.instanceOf(SessionNotFoundError);
      await h.revokeSession.execute({ userId: a1.user.id, sessionId: a2.session.id, currentSessionId: a1.session.id });
      const again = await rejectionOf(
        h.revokeSession.execute({ userId: a1.user.id, sessionId: a2.session.id, currentSessionId: a1.session.id }),
      );
      expect(again).to.be.instanceOf(SessionNotFoundError);
      expect(again.message).to.equal(unknown.message);
    });
  });

  describe("RevokeOtherSessions", () => {
    it("revokes every other session of the caller and keeps the current one", async () => {
      const out = await h.revokeOtherSessions.execute({ userId: a1.user.id, currentSessionId: a2.session.id });
      expect(out).to.deep.equal({ revoked: 2 });
      const { sessions } = await h.listSessions.execute({ userId: a1.user.id, currentSessionId: a2.session.id });
      expect(sessions.map((s) => s.id)).to.deep.equal([a2.session.id]);
      await h.authenticate.execute({ accessToken: a2.tokens.accessToken });
      expect(await rejectionOf(h.authenticate.execute({ accessToken: a1.tokens.accessToken }))).to.be.instanceOf(
        SessionRevokedError,
      );
      expect(await rejectionOf(h.authenticate.execute({ accessToken: a3.tokens.accessToken }))).to.be.instanceOf(
        SessionRevokedError,
      );
    });

    it("leaves other users' sessions alone", async () => {
      await h.revokeOtherSessions.execute({ userId: a1.user.id, currentSessionId: a1.session.id });
      expect(await h.sessions.get(bob.session.id)).to.not.equal(null);
    });

    it("revokes nothing when the current session is the only one", async () => {
      const out = await h.revokeOtherSessions.execute({ userId: bob.user.id, currentSessionId: bob.session.id });
      expect(out).to.deep.equal({ revoked: 0 });
      expect(await h.sessions.get(bob.session.id)).to.not.equal(null);
    });
  });
});

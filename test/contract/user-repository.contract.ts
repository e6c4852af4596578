import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { NewUser, UserRepository } from "../../src/application/ports/user-repository.port.js";
import { EmailTakenError } from "../../src/domain/errors.js";
import type { User } from "../../src/domain/user.entity.js";

export interface UserRepositoryFixture {
  adapter: UserRepository;
  cleanup: () => Promise<void>;
}

export type UserRepositoryFactory = () => Promise<UserRepositoryFixture>;

const T0 = Date.parse("2024-03-01T10:00:00.123Z");

export function newUser(overrides: Partial<NewUser> = {}): NewUser {
  const id = overrides.id ?? randomUUID();
  const email = overrides.email ?? `User.${id.slice(0, 8)}@Example.com`;
  return {
    id,
    name: "Ada Lovelace",
    email,
    emailNormalized: email.toLowerCase(),
    passwordHash: "$2b$12$hashhashhashhashhashhu",
    role: "user",
    avatar: null,
    isEmailVerified: false,
    lastLoginAt: null,
    // A fresh Date per user: tests mutate what they pass in.
    createdAt: new Date(T0),
    deactivatedAt: null,
    purgeAfter: null,
    ...overrides,
  };
}

async function expectRejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  expect.fail("expected the promise to reject");
}

/** Registers the UserRepository contract; call inside a `describe` once per adapter. */
export function userRepositoryContract(factory: UserRepositoryFactory): void {
  let repo: UserRepository;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ adapter: repo, cleanup } = await factory());
  });

  afterEach(async () => {
    await cleanup();
  });

  it("creates a user and finds it by id and by normalised email", async () => {
    const input = newUser({ email: "Grace@Example.COM", emailNormalized: "grace@example.com" });
    const created = await repo.create(input);
    expect(created).to.deep.equal({ ...input, updatedAt: input.createdAt });

    expect(await repo.findById(input.id)).to.deep.equal(created);
    expect(await repo.findByEmail("grace@example.com")).to.deep.equal(created);
  });

  it("returns null for an unknown id or email", async () => {
    await repo.create(newUser());
    expect(await repo.findById(randomUUID())).to.equal(null);
    expect(await repo.findByEmail("nobody@example.com")).to.equal(null);
  });

  it("keeps an explicit updatedAt on create", async () => {
    const updatedAt = new Date("2024-03-02T00:00:00.000Z");
    const created = await repo.create(newUser({ updatedAt }));
    expect(created.updatedAt.getTime()).to.equal(updatedAt.getTime());
  });

  it("refuses a second account with the same normalised email, whatever the typed case", async () => {
    const first = await repo.create(newUser({ email: "ann@example.com", emailNormalized: "ann@example.com" }));
    const second = newUser({ email: "ANN@Example.com", emailNormalized: "ann@example.com" });

    const err = await expectRejection(repo.create(second));
    expect(err).to.be.instanceOf(EmailTakenError);
    expect(await repo.findById(second.id)).to.equal(null);
    expect((await repo.findByEmail("ann@example.com"))?.id).to.equal(first.id);
  });

  it("refuses an update that would take another user's email, and leaves the user unchanged", async () => {
    await repo.create(newUser({ email: "a@example.com", emailNormalized: "a@example.com" }));
    const b = await repo.create(newUser({ email: "b@example.com", emailNormalized: "b@example.com" }));

    const err = await expectRejection(repo.update(b.id, { email: "A@example.com", emailNormalized: "a@example.com" }));
    expect(err).to.be.instanceOf(EmailTakenError);
    expect(await repo.findById(b.id)).to.deep.equal(b);
  });

  it("allows an update that keeps the user's own email", async () => {
    const user = await repo.create(newUser({ email: "c@example.com", emailNormalized: "c@example.com" }));
    const updated = await repo.update(user.id, { email: "C@Example.com", emailNormalized: "c@example.com" });
    expect(updated?.email).to.equal("C@Example.com");
  });

  it("updates fields, returns the updated user and persists it", async () => {
    const user = await repo.create(newUser());
    const lastLoginAt = new Date("2024-04-01T08:30:00.456Z");
    const updatedAt = new Date("2024-04-01T08:30:01.000Z");

    const updated = await repo.update(user.id, {
      name: "Grace Hopper",
      isEmailVerified: true,
      role: "admin",
      passwordHash: null,
      lastLoginAt,
      updatedAt,
    });

    const expected: User = {
      ...user,
      name: "Grace Hopper",
      isEmailVerified: true,
      role: "admin",
      passwordHash: null,
      lastLoginAt,
      updatedAt,
    };
    expect(updated).to.deep.equal(expected);
    expect(await repo.findById(user.id)).to.deep.equal(expected);
  });

  it("sets updatedAt itself when the change does not carry one", async () => {
    const user = await repo.create(newUser());
    const before = Date.now();
    const updated = await repo.update(user.id, { name: "Renamed" });
    expect(updated?.updatedAt.getTime()).to.be.at.least(before - 1000);
    expect(updated?.createdAt.getTime()).to.equal(T0);
  });

  it("returns null when updating an unknown user, and creates nothing", async () => {
    const id = randomUUID();
    expect(await repo.update(id, { name: "Ghost" })).to.equal(null);
    expect(await repo.findById(id)).to.equal(null);
  });

  it("deletes a user once and frees its email", async () => {
    const user = await repo.create(newUser());
    expect(await repo.delete(user.id)).to.equal(true);
    expect(await repo.findById(user.id)).to.equal(null);
    expect(await repo.findByEmail(user.emailNormalized)).to.equal(null);
    expect(await repo.delete(user.id)).to.equal(false);

    const again = await repo.create(newUser({ email: user.email, emailNormalized: user.emailNormalized }));
    expect((await repo.findByEmail(user.emailNormalized))?.id).to.equal(again.id);
  });

  it("hands out copies: mutating inputs or results does not change the store", async () => {
    const input = newUser({ avatar: { url: "https://img.example/a.png", key: "a" } });
    const created = await repo.create(input);
    input.name = "mutated input";
    input.avatar!.url = "https://evil.example/input.png";
    input.createdAt.setTime(0);
    created.name = "mutated result";
    created.avatar!.key = "mutated";

    const found = await repo.findById(created.id);
    expect(found?.name).to.equal("Ada Lovelace");
    expect(found?.avatar).to.deep.equal({ url: "https://img.example/a.png", key: "a" });
    expect(found?.createdAt.getTime()).to.equal(T0);

    found!.emailNormalized = "someone-else@example.com";
    found!.updatedAt.setTime(0);
    const updated = await repo.update(created.id, { name: "Second" });
    updated!.avatar!.url = "https://evil.example/updated.png";

    const again = await repo.findById(created.id);
    expect(again?.emailNormalized).to.equal(created.emailNormalized);
    expect(again?.avatar?.url).to.equal("https://img.example/a.png");
    expect(again?.updatedAt.getTime()).to.not.equal(0);
  });

  it("round-trips every date as a Date at millisecond precision", async () => {
    const dates = {
      lastLoginAt: new Date("2024-05-05T05:05:05.005Z"),
      createdAt: new Date("2023-12-31T23:59:59.999Z"),
      updatedAt: new Date("2024-01-01T00:00:00.001Z"),
      deactivatedAt: new Date("2024-06-01T12:00:00.500Z"),
      purgeAfter: new Date("2024-07-01T12:00:00.500Z"),
    };
    const user = await repo.create(newUser(dates));
    const found = await repo.findById(user.id);
    for (const [field, value] of Object.entries(dates)) {
      const got = found?.[field as keyof typeof dates];
      expect(got, field).to.be.instanceOf(Date);
      expect(got?.getTime(), field).to.equal(value.getTime());
    }

    const cleared = await repo.update(user.id, { deactivatedAt: null, purgeAfter: null, lastLoginAt: null });
    expect(cleared).to.include({ deactivatedAt: null, purgeAfter: null, lastLoginAt: null });
    expect(await repo.findById(user.id)).to.include({ deactivatedAt: null, purgeAfter: null, lastLoginAt: null });
  });

  it("round-trips the avatar as null or {url, key}, and can clear it", async () => {
    const withoutAvatar = await repo.create(newUser());
    expect((await repo.findById(withoutAvatar.id))?.avatar).to.equal(null);

    const avatar = { url: "https://res.example/u/1.webp", key: "avatars/1" };
    const withAvatar = await repo.create(newUser({ avatar }));
    expect((await repo.findById(withAvatar.id))?.avatar).to.deep.equal(avatar);

    const replaced = await repo.update(withoutAvatar.id, { avatar: { url: "https://res.example/2.png", key: "2" } });
    expect(replaced?.avatar).to.deep.equal({ url: "https://res.example/2.png", key: "2" });

    expect((await repo.update(withAvatar.id, { avatar: null }))?.avatar).to.equal(null);
    expect((await repo.findById(withAvatar.id))?.avatar).to.equal(null);
  });

  describe("listPurgeable", () => {
    const NOW = new Date("2024-08-01T12:00:00.000Z");
    const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);
    const deactivated = (purgeAfterOffsetMs: number, overrides: Partial<NewUser> = {}) =>
      newUser({ deactivatedAt: at(purgeAfterOffsetMs - 30 * 86_400_000), purgeAfter: at(purgeAfterOffsetMs), ...overrides });

    it("lists deactivated accounts whose purgeAfter has been reached, the longest overdue first", async () => {
      const overdueDay = await repo.create(deactivated(-86_400_000));
      const dueNow = await repo.create(deactivated(0));
      const overdueHour = await repo.create(deactivated(-3_600_000));
      await repo.create(deactivated(1)); // one millisecond inside the window
      await repo.create(newUser()); // active
      // Reactivated: the window fields were cleared together.
      const reactivated = await repo.create(deactivated(-86_400_000));
      await repo.update(reactivated.id, { deactivatedAt: null, purgeAfter: null });

      const due = await repo.listPurgeable(NOW, 10);
      expect(due.map((u) => u.id)).to.deep.equal([overdueDay.id, overdueHour.id, dueNow.id]);
      expect(due[0]).to.deep.equal(overdueDay);
    });

    it("returns at most `limit` accounts, and none for a limit of 0", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push((await repo.create(deactivated(-(i + 1) * 60_000))).id);
      const due = await repo.listPurgeable(NOW, 2);
      // The two that have waited longest.
      expect(due.map((u) => u.id)).to.deep.equal([ids[3], ids[2]]);
      expect(await repo.listPurgeable(NOW, 0)).to.deep.equal([]);
    });

    it("ignores an account with a purgeAfter but no deactivatedAt", async () => {
      await repo.create(newUser({ purgeAfter: at(-86_400_000) }));
      expect(await repo.listPurgeable(NOW, 10)).to.deep.equal([]);
    });

    it("stops listing an account once it is deleted", async () => {
      const user = await repo.create(deactivated(-1000));
      expect((await repo.listPurgeable(NOW, 10)).map((u) => u.id)).to.deep.equal([user.id]);
      expect(await repo.delete(user.id)).to.equal(true);
      expect(await repo.listPurgeable(NOW, 10)).to.deep.equal([]);
    });

    it("hands out copies", async () => {
      const user = await repo.create(deactivated(-1000));
      const [listed] = await repo.listPurgeable(NOW, 1);
      listed!.purgeAfter!.setTime(NOW.getTime() + 86_400_000);
      listed!.name = "mutated";
      expect(await repo.findById(user.id)).to.deep.equal(user);
    });
  });

  it("answers ping while reachable", async () => {
    await repo.ping();
  });
}

import "reflect-metadata";
import { expect } from "chai";
import type { AvatarContentType, AvatarStorage, StoredAvatar } from "../../../src/application/ports/avatar-storage.port.js";
import type { UserChanges, UserRepository } from "../../../src/application/ports/user-repository.port.js";
import { TOKENS } from "../../../src/application/tokens.js";
import { UpdateProfile } from "../../../src/application/use-cases/update-profile.use-case.js";
import {
  AccountDeactivatedError,
  ServiceUnavailableError,
  StorageUnavailableError,
  ValidationError,
} from "../../../src/domain/errors.js";
import type { User } from "../../../src/domain/user.entity.js";
import { buildUseCases, rejectionOf, TEST_META, type UseCaseHarness } from "../../support/use-case-harness.js";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

/** Writes every store / remove into a shared journal, so a test can check the order of side effects. */
class JournalingStorage implements AvatarStorage {
  readonly stored = new Set<string>();
  failStore: Error | null = null;
  failRemove = false;
  #n = 0;
  constructor(private readonly journal: string[]) {}

  async store(input: { userId: string; bytes: Uint8Array; contentType: AvatarContentType }): Promise<StoredAvatar> {
    await Promise.resolve();
    if (this.failStore) {
      this.journal.push("store-failed");
      throw this.failStore;
    }
    const key = `avatars/${input.userId}/${++this.#n}`;
    this.stored.add(key);
    this.journal.push(`store ${key}`);
    return { key, url: `https://img.test/${key}` };
  }

  async remove(key: string): Promise<void> {
    await Promise.resolve();
    if (this.failRemove) throw new StorageUnavailableError();
    this.stored.delete(key);
    this.journal.push(`remove ${key}`);
  }

  async ping(): Promise<void> {}
}

function setup() {
  const h = buildUseCases();
  const journal: string[] = [];
  const storage = new JournalingStorage(journal);
  let failUpdate: Error | null = null;
  // The real in-memory repository, with its update journaled and, on demand, failing.
  const users: UserRepository = {
    create: (u) => h.users.create(u),
    findById: (id) => h.users.findById(id),
    findByEmail: (e) => h.users.findByEmail(e),
    delete: (id) => h.users.delete(id),
    ping: () => h.users.ping(),
    update: async (id: string, changes: UserChanges) => {
      if (failUpdate) {
        journal.push("update-failed");
        throw failUpdate;
      }
      const out = await h.users.update(id, changes);
      journal.push(`update avatar=${out?.avatar?.key ?? "none"}`);
      return out;
    },
  } as UserRepository;
  h.container.register(TOKENS.AvatarStorage, { useValue: storage });
  h.container.register(TOKENS.UserRepository, { useValue: users });
  return {
    h,
    journal,
    storage,
    failUpdates(err: Error | null) {
      failUpdate = err;
    },
    updateProfile: h.container.resolve(UpdateProfile),
  };
}

describe("UpdateProfile", () => {
  let s: ReturnType<typeof setup>;
  let h: UseCaseHarness;
  let user: User;

  beforeEach(async () => {
    s = setup();
    h = s.h;
    user = await h.registerVerifiedUser("ada@example.com", "correct horse battery", "Ada");
  });

  it("changes the name (trimmed), keeps the avatar, and records profile-updated", async () => {
    h.clock.advance(60_000);
    const { user: updated } = await s.updateProfile.execute({ userId: user.id, name: "  Ada Lovelace  ", meta: TEST_META });
    expect(updated.name).to.equal("Ada Lovelace");
    expect(updated.updatedAt.getTime()).to.equal(h.clock.now().getTime());
    expect((await h.users.findById(user.id))!.name).to.equal("Ada Lovelace");
    expect(s.journal).to.deep.equal(["update avatar=none"]);
    await h.flushBackground();
    const entry = (await h.auditLog.listForUser(user.id, 50)).find((e) => e.event === "profile-updated");
    expect(entry).to.include({ event: "profile-updated", ip: TEST_META.ip, userAgent: TEST_META.userAgent });
    expect(entry!.details).to.deep.equal({ fields: ["name"] });
  });

  for (const [label, name] of [["empty", ""], ["blank", "   "], ["over 100 characters", "x".repeat(101)]] as const) {
    it(`refuses a ${label} name and leaves the row alone`, async () => {
      const err = await rejectionOf(s.updateProfile.execute({ userId: user.id, name, meta: TEST_META }));
      expect(err).to.be.instanceOf(ValidationError);
      expect((err as ValidationError).errors).to.have.property("name");
      expect((await h.users.findById(user.id))!.name).to.equal("Ada");
      expect(s.journal).to.deep.equal([]);
    });
  }

  it("accepts a name of exactly 100 characters", async () => {
    const { user: updated } = await s.updateProfile.execute({ userId: user.id, name: "y".repeat(100), meta: TEST_META });
    expect(updated.name).to.have.length(100);
  });

  it("refuses a request that changes nothing", async () => {
    const err = await rejectionOf(s.updateProfile.execute({ userId: user.id, meta: TEST_META }));
    expect(err).to.be.instanceOf(ValidationError);
    expect(s.journal).to.deep.equal([]);
  });

  it("stores the new image, then updates the row, and only then removes the old image", async () => {
    await s.updateProfile.execute({ userId: user.id, avatar: { bytes: PNG, contentType: "image/png" }, meta: TEST_META });
    await h.flushBackground();
    const first = `avatars/${user.id}/1`;
    expect(s.journal).to.deep.equal([`store ${first}`, `update avatar=${first}`]);

    const { user: updated } = await s.updateProfile.execute({
      userId: user.id,
      name: "Ada L.",
      avatar: { bytes: PNG, contentType: "image/png" },
      meta: TEST_META,
    });
    await h.flushBackground();
    const second = `avatars/${user.id}/2`;
    expect(s.journal).to.deep.equal([`store ${first}`, `update avatar=${first}`, `store ${second}`, `update avatar=${second}`, `remove ${first}`]);
    expect(updated.avatar).to.deep.equal({ key: second, url: `https://img.test/${second}` });
    expect([...s.storage.stored]).to.deep.equal([second]);
    const entries = (await h.auditLog.listForUser(user.id, 50)).filter((e) => e.event === "profile-updated");
    expect(entries.map((e) => e.details)).to.have.deep.members([{ fields: ["avatar"] }, { fields: ["name", "avatar"] }]);
  });

  it("leaves the profile exactly as it was when the image store fails, and removes nothing", async () => {
    await s.updateProfile.execute({ userId: user.id, avatar: { bytes: PNG, contentType: "image/png" }, meta: TEST_META });
    await h.flushBackground();
    const before = await h.users.findById(user.id);
    s.journal.length = 0;
    s.storage.failStore = new StorageUnavailableError();
    h.clock.advance(60_000);

    const err = await rejectionOf(
      s.updateProfile.execute({ userId: user.id, name: "Changed", avatar: { bytes: PNG, contentType: "image/png" }, meta: TEST_META }),
    );
    await h.flushBackground();
    expect(err).to.be.instanceOf(StorageUnavailableError);
    expect(await h.users.findById(user.id)).to.deep.equal(before);
    expect(s.journal).to.deep.equal(["store-failed"]);
    expect(s.storage.stored.has(before!.avatar!.key)).to.equal(true);
  });

  it("reports an image store that throws something unexpected as STORAGE_UNAVAILABLE, not as a crash", async () => {
    s.storage.failStore = new TypeError("socket exploded");
    const err = await rejectionOf(s.updateProfile.execute({ userId: user.id, avatar: { bytes: PNG, contentType: "image/png" }, meta: TEST_META }));
    expect(err).to.be.instanceOf(StorageUnavailableError);
    expect((err as StorageUnavailableError).code).to.equal("STORAGE_UNAVAILABLE");
  });

  it("removes the just-stored image when the row update fails, and keeps the old one", async () => {
    await s.updateProfile.execute({ userId: user.id, avatar: { bytes: PNG, contentType: "image/png" }, meta: TEST_META });
    await h.flushBackground();
    const first = `avatars/${user.id}/1`;
    s.journal.length = 0;
    s.failUpdates(new ServiceUnavailableError("database"));

    const err = await rejectionOf(s.updateProfile.execute({ userId: user.id, avatar: { bytes: PNG, contentType: "image/png" }, meta: TEST_META }));
    await h.flushBackground();
    expect(err).to.be.instanceOf(ServiceUnavailableError);
    const second = `avatars/${user.id}/2`;
    expect(s.journal).to.deep.equal([`store ${second}`, "update-failed", `remove ${second}`]);
    expect([...s.storage.stored]).to.deep.equal([first]);
    expect((await h.users.findById(user.id))!.avatar!.key).to.equal(first);
  });

  it("still succeeds when the old image cannot be removed (logged, not fatal)", async () => {
    await s.updateProfile.execute({ userId: user.id, avatar: { bytes: PNG, contentType: "image/png" }, meta: TEST_META });
    s.storage.failRemove = true;
    const { user: updated } = await s.updateProfile.execute({ userId: user.id, avatar: { bytes: PNG, contentType: "image/png" }, meta: TEST_META });
    await h.flushBackground();
    await h.flushBackground();
    expect(updated.avatar!.key).to.equal(`avatars/${user.id}/2`);
    expect(h.logger.entries.some((e) => e.level === "error" && JSON.stringify(e.obj).includes("avatar:remove-previous"))).to.equal(true);
  });

  it("refuses a deactivated account without storing anything", async () => {
    await h.users.update(user.id, { deactivatedAt: h.clock.now(), purgeAfter: new Date(h.clock.now().getTime() + 86_400_000) });
    s.journal.length = 0;
    const err = await rejectionOf(s.updateProfile.execute({ userId: user.id, avatar: { bytes: PNG, contentType: "image/png" }, meta: TEST_META }));
    expect(err).to.be.instanceOf(AccountDeactivatedError);
    expect(s.journal.filter((e) => e.startsWith("store"))).to.deep.equal([]);
  });
});

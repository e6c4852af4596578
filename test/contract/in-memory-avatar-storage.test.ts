import { InMemoryAvatarStorage } from "../../src/adapters/storage/in-memory-avatar.storage.js";
import { avatarStorageContract } from "./avatar-storage.contract.js";

describe("AvatarStorage contract: InMemoryAvatarStorage", () => {
  avatarStorageContract(async () => {
    const adapter = new InMemoryAvatarStorage({ publicBaseUrl: "http://localhost:9000/avatars/" });
    return {
      adapter,
      read: async (stored) => {
        const bytes = adapter.read(stored.key);
        return bytes ? Buffer.from(bytes) : null;
      },
      breakStorage: async () => adapter.setUnavailable(true),
      cleanup: async () => {},
    };
  });
});

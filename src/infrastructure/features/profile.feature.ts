import path from "node:path";
import type { AvatarStorage } from "../../application/ports/avatar-storage.port.js";
import { TOKENS } from "../../application/tokens.js";
import { AVATARS_PATH, AvatarFilesController } from "../../adapters/http/controllers/avatar-files.controller.js";
import { ProfileController } from "../../adapters/http/controllers/profile.controller.js";
import type { HttpModule } from "../../adapters/http/route-spec.js";
import { CloudinaryAvatarStorage } from "../../adapters/storage/cloudinary-avatar.storage.js";
import { LocalDiskAvatarStorage } from "../../adapters/storage/local-disk-avatar.storage.js";
import type { Feature } from "./feature.js";

/**
 * Profile updates and avatar storage: Cloudinary when it is configured, otherwise files under
 * DATA_DIR/avatars served by the app itself. Registered before the account feature, whose hard
 * delete removes the avatar through the same AvatarStorage.
 */
export const profileFeature: Feature = {
  name: "profile",
  async install({ config, container, health, logger, provide }) {
    const storage = await provide<AvatarStorage>(TOKENS.AvatarStorage, () =>
      config.cloudinary
        ? new CloudinaryAvatarStorage(config.cloudinary, { logger })
        : new LocalDiskAvatarStorage({ dir: path.join(config.dataDir, "avatars"), publicBaseUrl: `${config.publicUrl}${AVATARS_PATH}` }),
    );
    // Not required: without image storage the service still signs people in; only uploads fail (503).
    health.push({ name: "imageStorage", required: false, check: () => storage.ping() });
    const modules: HttpModule[] = [container.resolve(ProfileController)];
    if (storage instanceof LocalDiskAvatarStorage) modules.push(new AvatarFilesController(storage));
    return { modules };
  },
};

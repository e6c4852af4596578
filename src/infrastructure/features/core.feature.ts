import { AuthController } from "../../adapters/http/controllers/auth.controller.js";
import { HealthController } from "../../adapters/http/controllers/health.controller.js";
import { PasswordController } from "../../adapters/http/controllers/password.controller.js";
import type { Feature } from "./feature.js";

/** Sign-up to sign-out, passwords and lockout, health. */
export const coreFeature: Feature = {
  name: "core",
  async install({ container }) {
    return {
      modules: [container.resolve(AuthController), container.resolve(PasswordController), container.resolve(HealthController)],
    };
  },
};

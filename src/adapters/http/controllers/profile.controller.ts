import type { Context } from "koa";
import { inject, injectable } from "tsyringe";
import type * as v from "valibot";
import { UpdateProfile, type UpdateProfileInput } from "../../../application/use-cases/update-profile.use-case.js";
import { UnsupportedMediaTypeError } from "../../../domain/errors.js";
import { respond } from "../envelope.js";
import { stripImageMetadata } from "../image-metadata.js";
import { sniffImageType } from "../image-sniffer.js";
import { authOf } from "../middleware/auth.middleware.js";
import { readMultipart } from "../multipart.js";
import { AUTH_PREFIX } from "../paths.js";
import { presentUser } from "../presenters/user.presenter.js";
import { route, type HttpModule, type RouteSpec } from "../route-spec.js";
import { UpdateProfileBody, UpdateProfileFields } from "../schemas/profile.schemas.js";
import { parseInput } from "../validation.js";
import { requestMeta } from "./auth.controller.js";

export const AVATAR_UPLOAD = { maxFileBytes: 5 * 1024 * 1024, fileField: "avatar" } as const;

/** PATCH /profile: JSON {name}, or multipart with name and/or one avatar image. */
@injectable()
export class ProfileController implements HttpModule {
  constructor(@inject(UpdateProfile) private readonly updateProfileUseCase: UpdateProfile) {}

  routes(): RouteSpec[] {
    return [
      route({ method: "patch", path: `${AUTH_PREFIX}/profile`, tag: "auth", auth: "access", body: UpdateProfileBody,
        multipart: { ...AVATAR_UPLOAD }, handler: this.update,
        summary: "Change the name and/or the avatar",
        description:
          "JSON {name}, or multipart/form-data with a name field and/or one file field avatar (JPEG, PNG, WebP or GIF, " +
          "recognised from its bytes, at most 5 MiB). The caller is authenticated before the body is read; " +
          "the old avatar is removed only once the new one is stored and the profile updated.",
        responses: {
          200: "Updated; data.user",
          400: "Validation failed, unknown field, or more than one file",
          401: "Not signed in or session revoked",
          413: "PAYLOAD_TOO_LARGE: the avatar is over 5 MiB",
          415: "UNSUPPORTED_MEDIA_TYPE: the file is not a JPEG, PNG, WebP or GIF image",
          503: "STORAGE_UNAVAILABLE: the image store failed; nothing was changed",
        } }),
    ];
  }

  update = async (ctx: Context, body: v.InferOutput<typeof UpdateProfileBody> | undefined): Promise<void> => {
    const auth = authOf(ctx);
    const input: UpdateProfileInput = { userId: auth.userId, meta: requestMeta(ctx) };
    if (ctx.is("multipart/form-data")) {
      const form = await readMultipart(ctx, { ...AVATAR_UPLOAD, fields: ["name"] });
      const fields = parseInput(UpdateProfileFields, form.fields);
      if (fields.name !== undefined) input.name = fields.name;
      if (form.file) {
        // The bytes decide, not the declared type or the file name.
        const contentType = sniffImageType(form.file.bytes);
        if (!contentType) throw new UnsupportedMediaTypeError();
        input.avatar = { bytes: await stripImageMetadata(form.file.bytes, contentType), contentType };
      }
    } else if (body) {
      input.name = body.name;
    }
    const { user } = await this.updateProfileUseCase.execute(input);
    respond(ctx, 200, "Profile updated", { user: presentUser(user) });
  };
}

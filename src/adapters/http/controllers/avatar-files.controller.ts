import type { Context } from "koa";
import type { LocalDiskAvatarStorage } from "../../storage/local-disk-avatar.storage.js";
import { HttpProblem } from "../error-codes.js";
import { route, type HttpModule, type RouteSpec } from "../route-spec.js";

/** Where locally stored avatars are served; part of the stable URL kept in each user row. */
export const AVATARS_PATH = "/api/v1/avatars";

/**
 * Serves the avatars LocalDiskAvatarStorage wrote. Only names that store hands out are looked up
 * (no path ever comes from the request), the type comes from the stored extension, which was
 * chosen from the sniffed bytes, and nosniff stops a browser from second-guessing it.
 */
export class AvatarFilesController implements HttpModule {
  constructor(private readonly storage: LocalDiskAvatarStorage) {}

  routes(): RouteSpec[] {
    return [
      route({ method: "get", path: `${AVATARS_PATH}/:file`, tag: "auth", auth: "none", handler: this.serve,
        summary: "An avatar image stored on local disk",
        description: "Used when Cloudinary is not configured. File names are random and never reused, so responses are cacheable for a year.",
        responses: { 200: "The image", 404: "No such avatar" } }),
    ];
  }

  serve = async (ctx: Context): Promise<void> => {
    const name = String(ctx.params.file ?? "");
    const file = await this.storage.open(name);
    if (!file) throw new HttpProblem(404, "NOT_FOUND", "No such avatar");
    ctx.status = 200;
    ctx.type = file.contentType;
    ctx.length = file.size;
    ctx.set("X-Content-Type-Options", "nosniff");
    // Random, never-reused names: a given URL always means the same bytes.
    ctx.set("Cache-Control", "public, max-age=31536000, immutable");
    // The front end (CLIENT_URL) may live on another site; an <img> there must be allowed to load it.
    ctx.set("Cross-Origin-Resource-Policy", "cross-origin");
    ctx.body = file.stream;
  };
}

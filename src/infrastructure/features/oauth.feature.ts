import type { Clock, KeyedHasher, SecureRandom } from "../../application/ports/security.port.js";
import { TOKENS } from "../../application/tokens.js";
import { OAuthController } from "../../adapters/http/controllers/oauth.controller.js";
import type { HttpSettings } from "../../adapters/http/http-settings.js";
import { HTTP_SETTINGS } from "../../adapters/http/http-tokens.js";
import { InMemoryOAuthFlowStore } from "../../adapters/oauth/in-memory-oauth-flow.store.js";
import { OAuthHandoff } from "../../adapters/oauth/oauth-handoff.js";
import { OAUTH_FLOW_STORE, type OAuthFlowStore } from "../../adapters/oauth/oauth-flow.store.js";
import { OAUTH_SETTINGS, type OAuthSettings } from "../../adapters/oauth/oauth-settings.js";
import { PassportOAuthGateway } from "../../adapters/oauth/passport-oauth.gateway.js";
import { RedisOAuthFlowStore } from "../../adapters/oauth/redis-oauth-flow.store.js";
import { DrizzleIdentityRepository } from "../../adapters/persistence/drizzle/drizzle-identity.repository.js";
import { InMemoryIdentityRepository } from "../../adapters/persistence/in-memory-identity.repository.js";
import { OAUTH_PROVIDERS } from "../../domain/identity.entity.js";
import type { Feature } from "./feature.js";

/**
 * Sign-in with GitHub, Google and Facebook. The IdentityRepository is registered even with no
 * provider configured: account deletion erases identities through it.
 */
export const oauthFeature: Feature = {
  name: "oauth",
  async install(ctx) {
    const { container, config, logger } = ctx;
    const database = ctx.database;
    await ctx.provide(TOKENS.IdentityRepository, () =>
      database ? new DrizzleIdentityRepository(database.db) : new InMemoryIdentityRepository(),
    );

    const redis = ctx.redis;
    // State and one-time codes go where sessions go: in Redis every instance can finish a flow.
    const flows = await ctx.provide<OAuthFlowStore>(OAUTH_FLOW_STORE, () =>
      redis ? new RedisOAuthFlowStore(redis, { prefix: ctx.options.redisPrefix ?? "ha:" }) : new InMemoryOAuthFlowStore(ctx.clock),
    );
    const settings = await ctx.provide<OAuthSettings>(OAUTH_SETTINGS, () => ({ clientUrl: config.clientUrl, providers: config.oauth, requireClientPkce: config.oauthRequirePkce }));

    const hasher = container.resolve<KeyedHasher>(TOKENS.KeyedHasher);
    const random = container.resolve<SecureRandom>(TOKENS.SecureRandom);
    const clock = container.resolve<Clock>(TOKENS.Clock);
    const http = container.resolve<HttpSettings>(HTTP_SETTINGS);
    const gateway = new PassportOAuthGateway(settings, { flows, hasher, random, clock, cookieSecure: http.cookieSecure, cookiePathPrefix: http.basePath ?? "" }, logger);
    container.register(PassportOAuthGateway, { useValue: gateway });
    container.register(OAuthHandoff, { useValue: new OAuthHandoff(flows, hasher, random, clock) });

    const enabled = gateway.enabledProviders();
    const disabled = OAUTH_PROVIDERS.filter((p) => !enabled.includes(p));
    logger.info({ enabled, disabled, tokenModeRequiresPkce: !!settings.requireClientPkce }, enabled.length ? `OAuth sign-in enabled for ${enabled.join(", ")}` : "OAuth sign-in: no provider configured");

    return { modules: [container.resolve(OAuthController)] };
  },
};

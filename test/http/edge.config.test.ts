import { expect } from "chai";
import { RATE_LIMIT_DEFAULTS, clientKey, resolveBudgets } from "../../src/adapters/http/rate-limits.js";
import { ConfigError, loadConfig } from "../../src/infrastructure/config.js";

const base = { NODE_ENV: "test", DATA_DIR: "/tmp/hybrid-auth-edge-config" };
const load = (RATE_LIMITS?: string) => loadConfig(RATE_LIMITS === undefined ? base : { ...base, RATE_LIMITS }, { persistSecrets: false });

describe("Rate-limit configuration", () => {
  it("without RATE_LIMITS the defaults of the one table apply", () => {
    const budgets = resolveBudgets(load().rateLimits);
    expect(budgets.signin).to.include({ ipPerWindow: RATE_LIMIT_DEFAULTS.signin.ipPerWindow, windowSeconds: RATE_LIMIT_DEFAULTS.signin.windowSeconds });
  });

  it("RATE_LIMITS overrides every route with \"*\", then named routes field by field", () => {
    const config = load(JSON.stringify({ "*": { windowSeconds: 30, accountPerWindow: 7 }, signin: { ipPerWindow: 99 } }));
    const budgets = resolveBudgets(config.rateLimits);
    expect(budgets.signin).to.include({ ipPerWindow: 99, accountPerWindow: 7, windowSeconds: 30 });
    expect(budgets.signup).to.include({ ipPerWindow: RATE_LIMIT_DEFAULTS.signup.ipPerWindow, accountPerWindow: 7, windowSeconds: 30 });
  });

  it("refuses malformed JSON, unknown routes, unknown fields and bad numbers with one line naming RATE_LIMITS", () => {
    for (const raw of ["{signin:1}", '{"sign-in":{"ipPerWindow":1}}', '{"signin":{"max":1}}', '{"signin":{"ipPerWindow":-1}}', '{"signin":{"windowSeconds":0}}', '{"signin":{"ipPerWindow":"5"}}']) {
      expect(() => load(raw), raw).to.throw(ConfigError, /RATE_LIMITS/);
    }
  });

  it("an IPv6 client is keyed by its /64, an IPv4-mapped address as IPv4", () => {
    expect(clientKey("2001:db8:1:2::1")).to.equal("2001:db8:1:2::/64");
    expect(clientKey("2001:0DB8:0001:0002:ffff:1:2:3")).to.equal("2001:db8:1:2::/64");
    expect(clientKey("::1")).to.equal("0:0:0:0::/64");
    expect(clientKey("::ffff:10.0.0.1")).to.equal("10.0.0.1");
    expect(clientKey("10.0.0.1")).to.equal("10.0.0.1");
  });
});

describe("TRUST_PROXY", () => {
  const hops = (TRUST_PROXY?: string) => loadConfig(TRUST_PROXY === undefined ? base : { ...base, TRUST_PROXY }, { persistSecrets: false }).trustProxyHops;

  it("is off by default; true/yes is one proxy, false/no none, a number that many", () => {
    expect(hops()).to.equal(0);
    expect([hops("true"), hops("YES"), hops("1")]).to.deep.equal([1, 1, 1]);
    expect([hops("false"), hops("no"), hops("0"), hops("")]).to.deep.equal([0, 0, 0, 0]);
    expect(hops(" 2 ")).to.equal(2);
  });

  it("refuses anything else, naming the variable", () => {
    for (const bad of ["maybe", "-1", "11", "1.5", "2 proxies"]) expect(() => hops(bad), bad).to.throw(ConfigError, /TRUST_PROXY/);
  });
});

describe("OAUTH_REQUIRE_PKCE", () => {
  const required = (OAUTH_REQUIRE_PKCE?: string) =>
    loadConfig(OAUTH_REQUIRE_PKCE === undefined ? base : { ...base, OAUTH_REQUIRE_PKCE }, { persistSecrets: false }).oauthRequirePkce;

  it("is off by default; true/yes turns it on, false/no/empty leaves it off", () => {
    expect(required()).to.equal(false);
    expect([required("true"), required(" YES ")]).to.deep.equal([true, true]);
    expect([required("false"), required("no"), required("")]).to.deep.equal([false, false, false]);
  });

  it("refuses anything else, naming the variable", () => {
    for (const bad of ["1", "on", "required"]) expect(() => required(bad), bad).to.throw(ConfigError, /OAUTH_REQUIRE_PKCE/);
  });
});

import { oauthRoutesSuite } from "./oauth-routes.suite.js";

describe("OAuth routes on the in-memory container", () => oauthRoutesSuite("memory"));

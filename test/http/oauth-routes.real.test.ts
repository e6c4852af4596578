import { oauthRoutesSuite } from "./oauth-routes.suite.js";

describe("OAuth routes on PostgreSQL + Redis", () => oauthRoutesSuite("real"));

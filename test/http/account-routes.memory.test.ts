import { accountRoutesSuite } from "./account-routes.suite.js";

describe("Account routes on the in-memory container", () => accountRoutesSuite("memory"));

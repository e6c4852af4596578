import { accountRoutesSuite } from "./account-routes.suite.js";

describe("Account routes on PostgreSQL + Redis", () => accountRoutesSuite("real"));

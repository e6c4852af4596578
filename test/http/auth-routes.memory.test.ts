import { authRoutesSuite } from "./auth-routes.suite.js";

describe("HTTP on the in-memory container", () => authRoutesSuite("memory"));

import { authRoutesSuite } from "./auth-routes.suite.js";

describe("HTTP on PostgreSQL + Redis", () => authRoutesSuite("real"));

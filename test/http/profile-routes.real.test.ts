import { profileRoutesSuite } from "./profile-routes.suite.js";

describe("Profile routes on PostgreSQL + Redis", () => profileRoutesSuite("real"));

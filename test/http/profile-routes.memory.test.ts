import { profileRoutesSuite } from "./profile-routes.suite.js";

describe("Profile routes on the in-memory container", () => profileRoutesSuite("memory"));

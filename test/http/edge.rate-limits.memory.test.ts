import { rateLimitSuite } from "./edge.rate-limits.suite.js";

describe("Rate limits with the memory driver", () => rateLimitSuite("memory"));

import { passwordsSuite } from "./passwords.suite.js";

describe("Passwords and lockout on the in-memory container", () => passwordsSuite("memory"));

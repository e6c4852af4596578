import { passwordsSuite } from "./passwords.suite.js";

describe("Passwords and lockout on PostgreSQL + Redis", () => passwordsSuite("real"));

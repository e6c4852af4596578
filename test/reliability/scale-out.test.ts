/**
 * 6. Scale-out: two server processes on one PostgreSQL and one Redis share sessions, refresh
 * rotation, lockout counters and rate limits.
 */
import { requirePostgres, requireRedis, TEST_REDIS_URL } from "../support/services.js";
import { scaleOutSuite } from "./support/scale-out.suite.js";

describe("Scale-out", function () {
  before(async function () {
    await requirePostgres(this);
    await requireRedis(this);
  });

  scaleOutSuite("two instances, one Redis", () => ({ REDIS_URL: TEST_REDIS_URL }));
});

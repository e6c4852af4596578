export const AUTH_PREFIX = "/api/v1/auth";
export const OAUTH_PREFIX = "/api/auth";
export const HEALTH_PREFIX = "/api/v1/health";

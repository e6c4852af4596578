/** Injection tokens owned by the HTTP adapter. */
export const HTTP_SETTINGS = Symbol("HttpSettings");
export const APP_VERSION = Symbol("AppVersion");

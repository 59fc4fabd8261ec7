/** The gateway's own paths, named once: the HTTP server, the plugins and the settings check read them here. */
export const GRAPHQL_PATH = '/graphql';
export const HEALTH_PATH = '/health';
export const READINESS_PATH = '/readiness';
export const METRICS_PATH = '/metrics';

/** Paths a setting (EP_WEBHOOK_PATH) may not take. */
export const OWN_PATHS = [GRAPHQL_PATH, HEALTH_PATH, READINESS_PATH, METRICS_PATH];

/** The media types the gateway answers with or reads, named once. */
export const EVENT_STREAM = 'text/event-stream';
export const MULTIPART_MIXED = 'multipart/mixed';
export const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json';
export const JSON_MEDIA_TYPE = 'application/json';

/** The content types Yoga's JSON parser takes, compared as it compares them (exactly, first of a list). */
export const JSON_REQUEST_TYPES = [JSON_MEDIA_TYPE, 'application/graphql+json'];

/** Yoga's result processors for an operation, in the order it tries them, with their media types. */
export const RESULT_MEDIA_TYPES = [[EVENT_STREAM], [MULTIPART_MIXED], [GRAPHQL_RESPONSE_JSON, JSON_MEDIA_TYPE]];

/** Fixed ids and tokens for tests that script their own upstream. */
export const ACCOUNT_ID = '5b495058-9ffc-4b9b-810a-c9d43ffc6500';
export const MEMBER_ID = '486fa6f1-d85a-44a0-abdf-ff0076fffd6c';
export const MEMBERSHIP_ID = '9e227208-b592-49c0-8c8f-043b66c634b0';
export const TOKEN = 'Bearer 212LJ3k0i2382364HIUEjfeJB98yvH9';

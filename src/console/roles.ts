/** Console roles: commanders publish, viewers only look. */
export const CONSOLE_ROLES = ['commander', 'viewer'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

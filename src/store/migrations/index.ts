import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './001_initial.js';

/** Migrations in code, in order: adding one is a file here and a line below. */
const MIGRATIONS: Record<string, Migration> = {
  '001_initial': initial,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return MIGRATIONS;
  },
};

import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/** What every repository function runs its queries on: the database, or a transaction in progress. */
export type Executor = Kysely<Database> | Transaction<Database>;

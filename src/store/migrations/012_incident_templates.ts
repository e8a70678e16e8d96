import type { Kysely } from 'kysely';

// Incident templates: a saved title, message, impact, initial status and affected components that a commander picks
// when opening an incident (console compose, `template` in the API and CLI).
// - name_key: the name trimmed and lower-cased, unique: two templates "DB outage" and "db outage " read as one.
// - impact and status: null when the template leaves them to the request (or to the defaults).
// - incident_template_components: the components it affects, each with the status it gives them. A component
//   deleted later is dropped from every template (deleteComponent removes its rows; reads skip deleted ones).

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('incident_templates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('impact', 'text')
    .addColumn('status', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('incident_templates_name_key')
    .on('incident_templates')
    .column('name_key')
    .unique()
    .execute();
  await db.schema
    .createTable('incident_template_components')
    .addColumn('template_id', 'text', (c) => c.notNull().references('incident_templates.id').onDelete('cascade'))
    .addColumn('component_id', 'text', (c) => c.notNull().references('components.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('incident_template_components_pk', ['template_id', 'component_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('incident_template_components').ifExists().execute();
  await db.schema.dropTable('incident_templates').ifExists().execute();
}

import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './001_initial.js';
import * as subscribers from './002_subscribers.js';
import * as consoleTables from './003_console.js';
import * as consoleReminders from './004_console_reminders.js';
import * as deliveryUpdateNumber from './005_delivery_update_number.js';
import * as updateSocialText from './006_update_social_text.js';
import * as alertDrafts from './007_alert_drafts.js';
import * as webhookFormat from './008_webhook_format.js';
import * as statuspageTargets from './009_statuspage_targets.js';
import * as componentStatusChanges from './010_component_status_changes.js';
import * as lifecycle from './011_lifecycle.js';
import * as incidentTemplates from './012_incident_templates.js';
import * as maintenanceRevision from './013_maintenance_revision.js';
import * as componentEvents from './014_component_events.js';
import * as componentEventSnapshot from './015_component_event_snapshot.js';

/** Migrations in code, in order: adding one is a file here and a line below. */
const MIGRATIONS: Record<string, Migration> = {
  '001_initial': initial,
  '002_subscribers': subscribers,
  '003_console': consoleTables,
  '004_console_reminders': consoleReminders,
  '005_delivery_update_number': deliveryUpdateNumber,
  '006_update_social_text': updateSocialText,
  '007_alert_drafts': alertDrafts,
  '008_webhook_format': webhookFormat,
  '009_statuspage_targets': statuspageTargets,
  '010_component_status_changes': componentStatusChanges,
  '011_lifecycle': lifecycle,
  '012_incident_templates': incidentTemplates,
  '013_maintenance_revision': maintenanceRevision,
  '014_component_events': componentEvents,
  '015_component_event_snapshot': componentEventSnapshot,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return MIGRATIONS;
  },
};

import { z } from 'zod';
import { COMPONENT_STATUSES, INCIDENT_IMPACTS, INCIDENT_STATUSES } from './enums.js';

// One schema per input shape, used at every edge (HTTP, CLI, console). Unknown fields are refused so a
// typo ("stauts") is an error instead of a silently ignored field.

const required = {
  error: (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : 'must be a string'),
};
const text = (max: number) =>
  z.string(required).trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const optionalText = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`).optional();
const id = z.string().min(1).max(64);

export const componentStatusSchema = z.enum(COMPONENT_STATUSES);
export const incidentStatusSchema = z.enum(INCIDENT_STATUSES);
export const incidentImpactSchema = z.enum(INCIDENT_IMPACTS);

const componentStatusMap = z.record(id, componentStatusSchema);
/** Posted as it is on X, Mastodon and Bluesky, with the incident link after it; each channel checks its own limit. */
const socialText = text(1_000);
const channelList = z
  .array(z.string().min(1).max(64))
  .min(1, 'must name at least one channel; omit it for every channel');

export const createComponentSchema = z.strictObject({
  name: text(255),
  group: optionalText(255).nullable(),
  description: optionalText(2000).nullable(),
  status: componentStatusSchema.optional(),
  position: z.number().int().min(0).max(1_000_000, 'must be at most 1000000').optional(),
});
export type CreateComponentInput = z.infer<typeof createComponentSchema>;

export const patchComponentSchema = createComponentSchema.partial();
export type PatchComponentInput = z.infer<typeof patchComponentSchema>;

export const createIncidentSchema = z.strictObject({
  title: text(255),
  message: text(20_000),
  status: incidentStatusSchema.optional(),
  impact: incidentImpactSchema.optional(),
  components: componentStatusMap.optional(),
  channels: channelList.optional(),
  socialText: socialText.optional(),
});
export type CreateIncidentInput = z.infer<typeof createIncidentSchema>;

/**
 * POST /api/v1/incidents with a `template` (its id or name): the template fills title, message, impact, status and
 * components where the request gives none, so title and message may be left out.
 */
export const openFromTemplateSchema = createIncidentSchema.extend({
  title: text(255).optional(),
  message: text(20_000).optional(),
  template: text(100),
});
export type OpenFromTemplateInput = z.infer<typeof openFromTemplateSchema>;

const templateFields = {
  name: text(100),
  title: text(255),
  message: text(20_000),
  impact: incidentImpactSchema.nullable().optional(),
  status: incidentStatusSchema.nullable().optional(),
  components: componentStatusMap.optional(),
};

/** An incident template; impact and status may be null (left to the request opening the incident). */
export const createIncidentTemplateSchema = z.strictObject(templateFields);
export type CreateIncidentTemplateInput = z.infer<typeof createIncidentTemplateSchema>;

/** Any of a template's fields; `components` replaces the whole set. */
export const patchIncidentTemplateSchema = z.strictObject(templateFields).partial();
export type PatchIncidentTemplateInput = z.infer<typeof patchIncidentTemplateSchema>;

export const createUpdateSchema = z.strictObject({
  message: text(20_000),
  status: incidentStatusSchema.optional(),
  impact: incidentImpactSchema.optional(),
  components: componentStatusMap.optional(),
  channels: channelList.optional(),
  socialText: socialText.optional(),
});
export type CreateUpdateInput = z.infer<typeof createUpdateSchema>;

export const postmortemSchema = z.strictObject({
  body: text(100_000),
  notify: z.boolean().optional(),
});
export type PostmortemInput = z.infer<typeof postmortemSchema>;

const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 time such as 2026-01-31T22:00:00Z' });

const maintenanceFields = {
  title: text(255),
  message: text(20_000),
  scheduledFor: isoTime,
  scheduledUntil: isoTime,
  components: z.array(id).min(1, 'must name at least one component'),
};

/** The window is checked apart (see maintenanceWindowProblems), so a bad scheduledFor hides no other error. */
export const createMaintenanceSchema = z.strictObject({ ...maintenanceFields, channels: channelList.optional() });
export type CreateMaintenanceInput = z.infer<typeof createMaintenanceSchema>;

export const patchMaintenanceSchema = z.strictObject(maintenanceFields).partial();
export type PatchMaintenanceInput = z.infer<typeof patchMaintenanceSchema>;

export const maintenanceUpdateSchema = z.strictObject({
  message: text(20_000),
  status: z.enum(['in_progress', 'verifying', 'completed']).optional(),
});
export type MaintenanceUpdateInput = z.infer<typeof maintenanceUpdateSchema>;

/** How far in the past a start may be (a clock a little behind): anything older is a window in the past. */
const START_SLACK_MS = 60_000;

/**
 * The window's own problems, one per field, from whichever times are valid: a start in the past, an end in the past,
 * an end not after the start. `fixedStart`: the start may not move (the maintenance has begun), so it is not checked.
 */
export function maintenanceWindowProblems(
  window: { scheduledFor?: unknown; scheduledUntil?: unknown },
  now: string,
  options: { fixedStart?: boolean } = {},
): Array<{ field: string; problem: string }> {
  const time = (v: unknown) => (typeof v === 'string' && isoTime.safeParse(v).success ? Date.parse(v) : undefined);
  const start = time(window.scheduledFor);
  const end = time(window.scheduledUntil);
  const at = Date.parse(now);
  const problems: Array<{ field: string; problem: string }> = [];
  if (start !== undefined && !options.fixedStart && start < at - START_SLACK_MS)
    problems.push({
      field: 'scheduledFor',
      problem: `is in the past (now is ${now}); a maintenance starts now at the earliest`,
    });
  if (end !== undefined && end <= at)
    problems.push({ field: 'scheduledUntil', problem: `is in the past (now is ${now})` });
  else if (end !== undefined && start !== undefined && end <= start)
    problems.push({ field: 'scheduledUntil', problem: 'must be after scheduledFor' });
  return problems;
}

const E164 = /^\+[1-9]\d{6,14}$/;

export const createSubscriberSchema = z
  .strictObject({
    email: z.email({ message: 'must be an email address such as ops@example.com' }).max(254).optional(),
    phone: z.string().regex(E164, 'must be an E.164 number such as +14155550100').optional(),
    webhookUrl: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .max(2000)
      .optional(),
    components: z.array(id).optional(),
    confirmed: z.boolean().optional(),
    format: z.enum(['herald', 'statuspage'], { message: "must be 'herald' (the default) or 'statuspage'" }).optional(),
  })
  .refine((s) => [s.email, s.phone, s.webhookUrl].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of email, phone or webhookUrl',
    path: ['email'],
  })
  .refine((s) => s.format === undefined || s.webhookUrl !== undefined, {
    message: 'only a webhook subscriber (webhookUrl) has a format',
    path: ['format'],
  });

/** "components.abc: Invalid option: expected one of …" — names the field and the problem. */
export function describeIssues(error: z.ZodError): {
  message: string;
  details: Array<{ field: string; problem: string }>;
} {
  const details = error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...at, key].join('.'), problem: 'is not a known field' }));
    }
    return [{ field: at.join('.') || '(body)', problem: issue.message }];
  });
  return { message: details.map((d) => `${d.field}: ${d.problem}`).join('; '), details };
}

/** POST /api/v1/incidents/:id/publish: the draft as it is, or with any of these changed. */
export const publishDraftSchema = z.strictObject({
  title: text(255).optional(),
  message: text(20_000).optional(),
  status: incidentStatusSchema.optional(),
  impact: incidentImpactSchema.optional(),
  components: componentStatusMap.optional(),
  channels: channelList.optional(),
  socialText: socialText.optional(),
});
export type PublishDraftInput = z.infer<typeof publishDraftSchema>;

/** POST /api/v1/incidents/:id/publish with a `template` (id or name): its fields come before the draft's. */
export const publishDraftFromTemplateSchema = publishDraftSchema.extend({ template: text(100) });
export type PublishDraftFromTemplateInput = z.infer<typeof publishDraftFromTemplateSchema>;

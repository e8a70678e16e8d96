import { z } from 'zod';
import type { ComponentStatus } from '../domain/enums.js';
import {
  type CreateIncidentInput,
  type CreateUpdateInput,
  type PublishDraftInput,
  createIncidentSchema,
  publishDraftSchema,
  createUpdateSchema,
  describeIssues,
} from '../domain/schemas.js';

export type FormBody = Record<string, string | string[] | undefined>;

export interface FieldIssue {
  field: string;
  problem: string;
}

/** What the compose form holds, as typed (kept to fill the form again after a preview or an error). */
export interface ComposeValues {
  title: string;
  message: string;
  status: string;
  impact: string;
  components: Record<string, string>;
  channels: string[];
  /** Posted on X, Mastodon and Bluesky instead of the message; '' when not given. */
  socialText: string;
}

export type ComposeParse<T> = { values: ComposeValues; input?: T; issues: FieldIssue[] };

export const first = (value: string | string[] | undefined): string =>
  Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
export const all = (value: string | string[] | undefined): string[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value];

/** Form fields → the same input the API takes: `component.ID` = status ('' = not affected), `channels` repeated. */
export function readComposeValues(body: FormBody): ComposeValues {
  const components: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key.startsWith('component.') && first(value)) components[key.slice('component.'.length)] = first(value);
  }
  return {
    title: first(body.title),
    message: first(body.message),
    status: first(body.status),
    impact: first(body.impact),
    components,
    channels: all(body.channels).filter(Boolean),
    socialText: first(body.socialText),
  };
}

function toApiShape(values: ComposeValues, withTitle: boolean) {
  return {
    ...(withTitle ? { title: values.title } : {}),
    message: values.message,
    ...(values.status ? { status: values.status } : {}),
    ...(values.impact ? { impact: values.impact } : {}),
    ...(Object.keys(values.components).length
      ? { components: values.components as Record<string, ComponentStatus> }
      : {}),
    // An empty list is refused by the schema with a message that names the field.
    channels: values.channels,
    ...(values.socialText.trim() ? { socialText: values.socialText } : {}),
  };
}

function parse<S extends z.ZodType>(schema: S, values: ComposeValues, withTitle: boolean): ComposeParse<z.infer<S>> {
  const result = schema.safeParse(toApiShape(values, withTitle));
  if (result.success) return { values, input: result.data, issues: [] };
  const issues = describeIssues(result.error).details.map((d) =>
    d.field === 'channels' ? { field: 'channels', problem: 'choose at least one channel' } : d,
  );
  return { values, issues };
}

export const parseOpenIncident = (body: FormBody): ComposeParse<CreateIncidentInput> =>
  parse(createIncidentSchema, readComposeValues(body), true);

export const parseIncidentUpdate = (body: FormBody): ComposeParse<CreateUpdateInput> =>
  parse(createUpdateSchema, readComposeValues(body), false);

/**
 * The publish's own size limits (its schema's `too_big` issues: a message over 20,000 characters, a title over
 * 255…) for a form that may still be half-filled: a preview refuses what publishing would refuse for its size.
 */
export function overPublishLimits(values: ComposeValues, isUpdate: boolean): FieldIssue[] {
  const result = (isUpdate ? createUpdateSchema : createIncidentSchema).safeParse(toApiShape(values, !isUpdate));
  if (result.success) return [];
  const tooBig = result.error.issues.filter((issue) => issue.code === 'too_big');
  return tooBig.length ? describeIssues(new z.ZodError(tooBig)).details : [];
}

/** The draft page's form: a draft published with the commander's edits. */
export const parseDraftPublish = (body: FormBody): ComposeParse<PublishDraftInput> =>
  parse(publishDraftSchema, readComposeValues(body), true);

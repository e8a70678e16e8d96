import { describe, expect, it } from 'vitest';
import type { AudienceChannel, Channel } from '../../src/channels/channel.js';
import { maintenanceNoticeChannelOf } from '../../src/console/maintenance-reminders.js';

// The console finds the channel that tells subscribers of a maintenance by what the channel says it can do,
// never by its kind: a renamed or new audience channel with `maintenanceNotice` is found, one without is not.

const audience = (kind: string, extra: Partial<AudienceChannel> = {}): Channel =>
  ({
    name: `${kind}-1`,
    kind,
    recipientKind: 'email',
    capabilities: { threads: false, audience: true },
    render: () => ({}),
    preview: () => [],
    measure: () => [],
    send: async () => ({}),
    sendTo: async () => ({}),
    ...extra,
  }) as AudienceChannel;

describe('maintenanceNoticeChannelOf', () => {
  const notice = () => (n: unknown) => n;

  it('finds the audience channel that prepares a maintenance notice, whatever its kind', () => {
    const pager = audience('pager', { maintenanceNotice: notice });
    expect(maintenanceNoticeChannelOf([audience('email'), pager])).toBe(pager);
  });

  it('finds none when no channel can send one, an email kind included', () => {
    expect(maintenanceNoticeChannelOf([audience('email'), audience('sms')])).toBeUndefined();
  });

  it('ignores a channel that is not an audience channel', () => {
    const single = {
      ...audience('chat', { maintenanceNotice: notice }),
      capabilities: { threads: false, audience: false },
    };
    expect(maintenanceNoticeChannelOf([single as Channel])).toBeUndefined();
  });
});

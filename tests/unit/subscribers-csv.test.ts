import { describe, expect, it } from 'vitest';
import { csvToSubscribers } from '../../src/subscribers/csv.js';

describe('subscriber import CSV', () => {
  it('reads email/phone/webhook columns, quoted fields and component lists', () => {
    const csv =
      'Email,Phone,Webhook URL,Components\r\na@example.test,,,"c1;c2"\n,+14155550100,,\n,,https://hooks.example.com/x,c3\n"b@example.test",,,\n';
    expect(csvToSubscribers(csv, 'f.csv')).toEqual([
      { email: 'a@example.test', components: ['c1', 'c2'] },
      { phone: '+14155550100' },
      { webhookUrl: 'https://hooks.example.com/x', components: ['c3'] },
      { email: 'b@example.test' },
    ]);
  });
  it('names the problem with a bad header', () => {
    expect(() => csvToSubscribers('name,age\nx,1\n', 'f.csv')).toThrow(/needs an email, phone or webhook_url column/);
  });
});

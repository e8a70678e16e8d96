// Messages as commanders really write them, for tests that read each channel's output at the wire: typographic
// punctuation, emoji, CJK, right-to-left text, long links, nested lists and headings.

export interface CorpusEntry {
  name: string;
  title: string;
  message: string;
  /** The message's first words as any channel must carry them (in plain text, typographic forms allowed). */
  start: string;
}

export const WE_ARE =
  'We’re seeing elevated error rates at checkout — about 20 % of card payments fail with “card declined”… ' +
  'Orders already confirmed are not affected. We’ll post the next update within 30 minutes.';

export const HOSTILE_CORPUS: CorpusEntry[] = [
  {
    name: 'curly quotes and dashes',
    title: 'Checkout errors for card payments in the EU and UK regions',
    message: WE_ARE,
    start: 'We’re seeing elevated error rates',
  },
  {
    name: 'emoji',
    title: 'Payments 🔥 down',
    message:
      '🔥 Payments are failing for most customers 😱. We rolled back the deploy 🚀 and are watching the graphs 📈.',
    start: '🔥 Payments are failing',
  },
  {
    name: 'CJK',
    title: '決済サービスの障害',
    message:
      '決済サービスで障害が発生しています。現在、原因を調査中です。確定済みの注文には影響はありません。次の更新は30分以内にお知らせします。',
    start: '決済サービスで障害が発生しています',
  },
  {
    name: 'RTL',
    title: 'خطأ في الدفع',
    message: 'نحن نحقق في ارتفاع معدلات الخطأ عند الدفع. الطلبات المؤكدة لا تتأثر. سننشر تحديثًا خلال 30 دقيقة.',
    start: 'نحن نحقق في ارتفاع معدلات الخطأ',
  },
  {
    name: 'long link',
    title: 'Search is slow',
    message:
      'Search queries take up to 30 s. Details and the workaround: [the runbook](https://docs.example.com/runbooks/search/latency/2026-11-29/mitigation?step=3&region=eu-west-1&ref=status) and https://grafana.example.com/d/abcdef123456/search-latency?orgId=1&from=now-6h&to=now&var-region=eu-west-1&refresh=30s for the graphs.',
    start: 'Search queries take up to 30 s',
  },
  {
    name: 'nested lists',
    title: 'Degraded API',
    message:
      'What we know:\n\n- **API** errors on:\n  - `POST /orders`\n  - `GET /orders/:id`\n- Dashboard loads slowly\n\n1. Rolled back\n2. Scaling the database',
    start: 'What we know',
  },
  {
    name: 'headings',
    title: 'Postmortem: checkout outage',
    message:
      '# Summary\n\nCheckout was down for **42 minutes**.\n\n## Root cause\n\nA *config* change removed the payment provider’s TLS certificate.\n\n### Follow-ups\n\n- Alert on certificate changes\n- Stage config rollouts',
    start: 'Summary',
  },
];

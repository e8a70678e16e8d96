import type { PurgeOption } from './purge.js';

/** A group on the page that stands for another status page (e.g. the cloud provider a shop runs on). */
export interface ExternalGroup {
  /** Heading shown on the page. */
  name: string;
  /** The other status page, linked from the heading. */
  url: string;
  /** Its Statuspage-compatible summary.json; when set, the listed components are shown with their status. */
  summaryUrl?: string;
  /** Names of the components to show from that summary (a subset); default: all of them. */
  components?: string[];
}

export interface DirectoryTarget {
  type: 'directory';
  /** Published with the same atomic swap as the site: the path becomes a symlink to the current version. */
  path: string;
  name?: string;
  /** CDN purges after each publish that changed files (see purge.ts). */
  purge?: PurgeOption[];
}

export interface S3Target {
  type: 's3';
  bucket: string;
  /** Key prefix, e.g. `status/`; default none. */
  prefix?: string;
  region?: string;
  /** S3-compatible endpoint (MinIO, R2, B2, s3rver), e.g. `http://127.0.0.1:9000`. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Default: the AWS SDK's credential chain (env, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  name?: string;
  /** CDN purges after each publish that changed files (see purge.ts). */
  purge?: PurgeOption[];
}

export type PublishTarget = DirectoryTarget | S3Target;

export interface StatusPageOptions {
  /** Channel name; default `statuspage`. */
  name?: string;
  /** Where the site is written (STATUS_PAGE_DIR); default `<data dir>/site`. */
  dir?: string;
  /** Off-site copies, published after every rebuild. */
  targets?: PublishTarget[];
  externalGroups?: ExternalGroup[];
  /** Other ways to follow, listed on subscribe.html beside the feeds (e.g. the X or Mastodon account). */
  follow?: Array<{ label: string; url: string }>;
  /** Days of history bars per component; default 90. */
  historyDays?: number;
  /** Incidents in incidents.json and the feeds; default 50 (as Statuspage). */
  recentIncidents?: number;
  /** How the off-site copies are kept current (see docs/statuspage.md, "Every target catches up"). */
  publishing?: PublishingOptions;
  /** Clock for tests and previews; default the system clock. */
  now?: () => Date;
}

export interface PublishingOptions {
  /** How often the reconciler compares each target with the latest build; default 15 s. */
  reconcileIntervalMs?: number;
  /**
   * How often a copy is republished although nothing changed, so its "published" time shows visitors and monitors
   * that it is alive; default 10 minutes. A copy whose time is older than twice this is republished.
   */
  heartbeatMs?: number;
  /** A change the site has not shown for this long is rebuilt by the reconciler (its own rebuild failed); default 10 s. */
  staleGraceMs?: number;
  /** How long one publish to one target may take; default 60 s. */
  targetTimeoutMs?: number;
  /** How long reading a target's build note may take; default 10 s. */
  probeTimeoutMs?: number;
  /** Backoff after a failed publish: first delay (default 2 s), doubled per failure, at most retryMaxMs (30 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

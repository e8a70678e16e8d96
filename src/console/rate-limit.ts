import type { Redis } from 'ioredis';

export interface LoginLimits {
  /** Failed sign-ins allowed per username within the window. */
  perUsername: number;
  /** Failed sign-ins allowed per client IP within the window. */
  perIp: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perUsername: 5, perIp: 20, windowMs: 15 * 60 * 1000 };

/**
 * Counts failed sign-ins in Redis (shared by every HTTP process), per username and per IP, in a fixed
 * window that starts at the first failure. A blocked client is refused before the password is checked.
 */
export class LoginRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  private keys(ip: string, username: string) {
    return [
      `${this.prefix}:console:login-fail:ip:${ip}`,
      `${this.prefix}:console:login-fail:user:${username.slice(0, 128)}`,
    ] as const;
  }

  /** Milliseconds until another try is allowed, or 0 when allowed now. */
  async blockedFor(ip: string, username: string): Promise<number> {
    const [ipKey, userKey] = this.keys(ip, username);
    const [[, ipCount], [, userCount], [, ipTtl], [, userTtl]] = (await this.redis
      .multi()
      .get(ipKey)
      .get(userKey)
      .pttl(ipKey)
      .pttl(userKey)
      .exec()) as Array<[Error | null, unknown]> as [
      [null, string | null],
      [null, string | null],
      [null, number],
      [null, number],
    ];
    let wait = 0;
    if (Number(ipCount ?? 0) >= this.limits.perIp) wait = Math.max(wait, ipTtl > 0 ? ipTtl : this.limits.windowMs);
    if (Number(userCount ?? 0) >= this.limits.perUsername)
      wait = Math.max(wait, userTtl > 0 ? userTtl : this.limits.windowMs);
    return wait;
  }

  async recordFailure(ip: string, username: string): Promise<void> {
    const multi = this.redis.multi();
    for (const key of this.keys(ip, username)) {
      multi.incr(key);
      multi.pexpire(key, this.limits.windowMs, 'NX');
    }
    await multi.exec();
  }

  /** A successful sign-in clears the username's count (not the IP's: one good password must not unlock guessing others). */
  async recordSuccess(username: string): Promise<void> {
    await this.redis.del(this.keys('', username)[1]);
  }
}

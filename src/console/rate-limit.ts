import type { Redis } from 'ioredis';

export interface LoginLimits {
  /** Sign-in attempts allowed per username within the window (a success gives its attempt back). */
  perUsername: number;
  /** Sign-in attempts allowed per client IP within the window (a success gives its attempt back). */
  perIp: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perUsername: 5, perIp: 20, windowMs: 15 * 60 * 1000 };

// One script, so the check and the count are one step in Redis: parallel requests cannot all read a count
// under the limit before any of them adds to it. A key at its limit is not counted further; the answer is
// the wait (ms) when refused, 0 when the attempt was counted and may go on to the password check.
const TAKE_ATTEMPT = `
local wait = 0
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[i]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then ttl = tonumber(ARGV[#ARGV]) end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[#ARGV]) end
end
return 0
`;

/**
 * Counts sign-in attempts in Redis (shared by every HTTP process), per username and per IP, in a fixed window
 * that starts at the first attempt. An attempt is counted before its password is checked, so however many
 * arrive at once, at most the limit are ever checked; a successful one is given back.
 */
export class LoginRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  private keys(ip: string, username: string) {
    return [
      `${this.prefix}:console:login-attempts:ip:${ip}`,
      `${this.prefix}:console:login-attempts:user:${username.slice(0, 128)}`,
    ] as const;
  }

  /** Counts an attempt: 0 when it may check the password, else the milliseconds until another try is allowed. */
  async takeAttempt(ip: string, username: string): Promise<number> {
    const [ipKey, userKey] = this.keys(ip, username);
    const wait = await this.redis.eval(
      TAKE_ATTEMPT,
      2,
      ipKey,
      userKey,
      this.limits.perIp,
      this.limits.perUsername,
      this.limits.windowMs,
    );
    return Number(wait);
  }

  /**
   * A successful sign-in clears the username's count and gives the IP its attempt back (the IP's earlier
   * failures stay: one good password must not unlock guessing others).
   */
  async recordSuccess(ip: string, username: string): Promise<void> {
    const [ipKey, userKey] = this.keys(ip, username);
    await this.redis
      .multi()
      .del(userKey)
      .eval("if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end", 1, ipKey)
      .exec();
  }
}

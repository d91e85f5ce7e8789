// BullMQ reconnects forever, which is right once a sweep is running (Redis restarts, networks
// blip) but wrong at start: a typo in the URL or a wrong password would hang silently, and its
// clients cannot even be closed while they retry. So one plain connection without retries is tried
// first, and a failure becomes a message that says what to check.
import { Redis } from 'ioredis';
import { UserError } from '../../core/errors.js';
import { parseRedisUrl, redactRedisUrl } from './redis-url.js';

export async function probeRedis(url: string, timeoutMs = 15_000): Promise<void> {
  const client = new Redis({
    ...parseRedisUrl(url),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // The 'error' event carries the cause (WRONGPASS, ECONNREFUSED); the awaited call may only say
  // "Connection is closed".
  let cause: string | undefined;
  client.on('error', (err: Error) => (cause ??= err.message));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw connectError(url, cause ?? (err instanceof Error ? err.message : String(err)));
  } finally {
    client.disconnect();
  }
}

function connectError(url: string, why: string): UserError {
  return new UserError(
    'PIPE_REDIS_CONNECT',
    `Cannot use Redis at ${redactRedisUrl(url)}: ${why.replace(/\.+$/, '')}. Check that redis-server runs and is reachable ` +
      `from this machine, and the URL's password (redis://:PASSWORD@host) and scheme (rediss:// for TLS).`,
  );
}

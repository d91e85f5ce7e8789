// Turns the user's Redis URL into ioredis connection options. BullMQ needs
// `maxRetriesPerRequest: null` on connections that block (workers, queue events), so it is set here
// once for every connection pipe opens.
import { UserError } from '../../core/errors.js';

/** The subset of ioredis options pipe sets; a type alias so it fits BullMQ's connection type. */
export type RedisConnectionOptions = {
  host: string;
  port: number;
  db?: number;
  username?: string;
  password?: string;
  tls?: { servername: string };
  maxRetriesPerRequest: null;
};

const DEFAULT_PORT = 6379;

/**
 * Accepts `redis://[[user]:password@]host[:port][/db]` and `rediss://...` (TLS). The database may
 * also come as `?db=N`. Credentials are percent-decoded, so a password may contain `@` or `:` when
 * written as `%40` / `%3A`.
 */
export function parseRedisUrl(text: string): RedisConnectionOptions {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badUrl(text, 'it is not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw badUrl(text, `the scheme is "${url.protocol.replace(/:$/, '')}", expected redis or rediss (TLS)`);
  }
  // WHATWG URL keeps IPv6 hosts in brackets; ioredis wants the bare address.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = url.port ? Number(url.port) : DEFAULT_PORT;

  const dbText = url.searchParams.get('db') ?? url.pathname.replace(/^\//, '');
  let db: number | undefined;
  if (dbText !== '') {
    if (!/^\d+$/.test(dbText)) throw badUrl(text, `the database "${dbText}" is not a number`);
    db = Number(dbText);
  }

  const options: RedisConnectionOptions = { host, port, maxRetriesPerRequest: null };
  if (db !== undefined) options.db = db;
  if (url.username) options.username = decodeURIComponent(url.username);
  if (url.password) options.password = decodeURIComponent(url.password);
  if (url.protocol === 'rediss:') {
    // servername makes SNI and certificate host checks use the name the user typed.
    options.tls = { servername: host };
  }
  return options;
}

/** The URL with its password hidden, for logs and error messages. */
export function redactRedisUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<invalid Redis URL>';
  }
}

function badUrl(text: string, why: string): UserError {
  return new UserError(
    'PIPE_REDIS_URL',
    `The Redis URL "${redactRedisUrl(text)}" cannot be used: ${why}. Write it as redis://[:password@]host[:port][/db] ` +
      `or rediss://... for TLS, e.g. --redis redis://127.0.0.1:6379.`,
    2,
  );
}

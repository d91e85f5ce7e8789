import { describe, expect, it } from 'vitest';
import { parseRedisUrl, redactRedisUrl } from './redis-url.js';

describe('parseRedisUrl', () => {
  it('reads host and port and sets what BullMQ requires', () => {
    expect(parseRedisUrl('redis://10.0.0.5:6380')).toEqual({
      host: '10.0.0.5',
      port: 6380,
      maxRetriesPerRequest: null,
    });
  });

  it('defaults the port to 6379', () => {
    expect(parseRedisUrl('redis://queue.internal').port).toBe(6379);
  });

  it('reads a password without a user, percent-decoded', () => {
    const o = parseRedisUrl('redis://:s%40cr%3At@host:7000');
    expect(o.password).toBe('s@cr:t');
    expect(o.username).toBeUndefined();
    expect(o.tls).toBeUndefined();
  });

  it('reads an ACL user and password', () => {
    const o = parseRedisUrl('redis://pipe:pw@host');
    expect(o.username).toBe('pipe');
    expect(o.password).toBe('pw');
  });

  it('turns rediss:// into TLS with the host as server name', () => {
    const o = parseRedisUrl('rediss://:pw@redis.example.com:6390/2');
    expect(o.tls).toEqual({ servername: 'redis.example.com' });
    expect(o.port).toBe(6390);
    expect(o.db).toBe(2);
    expect(o.password).toBe('pw');
  });

  it('reads the database from the path or from ?db=', () => {
    expect(parseRedisUrl('redis://h/3').db).toBe(3);
    expect(parseRedisUrl('redis://h?db=5').db).toBe(5);
    expect(parseRedisUrl('redis://h/').db).toBeUndefined();
  });

  it('accepts IPv6 hosts', () => {
    expect(parseRedisUrl('redis://[::1]:6379').host).toBe('::1');
  });

  it('rejects other schemes and bad databases with a user error that hides the password', () => {
    expect(() => parseRedisUrl('http://:secret@h')).toThrow(/expected redis or rediss/);
    try {
      parseRedisUrl('redis://:secret@h/notanumber');
      expect.unreachable();
    } catch (err) {
      expect((err as { code: string }).code).toBe('PIPE_REDIS_URL');
      expect((err as Error).message).not.toContain('secret');
      expect((err as Error).message).toContain('is not a number');
    }
    expect(() => parseRedisUrl('localhost:6379')).toThrow(/PIPE_REDIS_URL|cannot be used/);
  });
});

describe('redactRedisUrl', () => {
  it('hides the password only', () => {
    expect(redactRedisUrl('redis://:pw@h:1/0')).toBe('redis://:***@h:1/0');
    expect(redactRedisUrl('redis://h:1')).toBe('redis://h:1');
  });
});

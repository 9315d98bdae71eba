// Console sessions (issue 12): the browser holds only a random session id in an HttpOnly cookie; the token
// it stands for stays in this node's memory, for a bounded time. Ids are looked up by their SHA-256 and
// compared in constant time; nothing here is ever persisted or logged.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface SessionLimits {
  /** A session ends this long after sign-in, whatever happens (default 8 hours). */
  readonly absoluteMs: number;
  /** A session ends when unused this long (default 30 minutes). */
  readonly idleMs: number;
  /**
   * At most this many live sessions per node (default 10 000). When full, the oldest session of the token
   * holding the most goes: one token signing in again and again ends its own sessions, never others'.
   */
  readonly maxSessions: number;
  /** At most this many live sessions per token; its oldest is dropped first (default 32). */
  readonly maxPerToken: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  absoluteMs: 8 * 3600_000,
  idleMs: 30 * 60_000,
  maxSessions: 10_000,
  maxPerToken: 32,
};

interface Session {
  readonly idHash: Buffer;
  readonly token: string;
  /** SHA-256 of the token: the key of its sessions in `byToken`. */
  readonly tokenKey: string;
  readonly expiresAt: number;
  lastUsed: number;
}

/** A session id: 256 random bits, base64url (43 characters). */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** The first (oldest) key of a non-empty set. */
const oldestOf = (keys: Set<string>): string => keys.values().next().value ?? '';

const hashOf = (id: string): Buffer => createHash('sha256').update(id, 'utf8').digest();

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  /** Each token's live sessions, oldest first. */
  private readonly byToken = new Map<string, Set<string>>();
  private readonly limits: SessionLimits;
  private readonly now: () => number;

  constructor(limits: Partial<SessionLimits> = {}, now: () => number = Date.now) {
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...limits };
    this.now = now;
  }

  /** Opens a session for `token`, ending at the earlier of the absolute limit and `tokenExpiresAt`. */
  create(token: string, tokenExpiresAt: number | null = null): { id: string; expiresAt: number } {
    this.sweep();
    const tokenKey = hashOf(token).toString('hex');
    const own = this.byToken.get(tokenKey);
    while (own && own.size >= this.limits.maxPerToken) this.remove(oldestOf(own));
    while (this.sessions.size >= this.limits.maxSessions) {
      const heaviest = [...this.byToken.values()].reduce((a, b) => (b.size > a.size ? b : a));
      this.remove(oldestOf(heaviest));
    }
    const id = randomBytes(32).toString('base64url');
    const idHash = hashOf(id);
    const now = this.now();
    const expiresAt = Math.min(now + this.limits.absoluteMs, tokenExpiresAt ?? Number.POSITIVE_INFINITY);
    const key = idHash.toString('hex');
    this.sessions.set(key, { idHash, token, tokenKey, expiresAt, lastUsed: now });
    this.byToken.set(tokenKey, (this.byToken.get(tokenKey) ?? new Set()).add(key));
    return { id, expiresAt };
  }

  /** The token a live session stands for, refreshing its idle timer; undefined for anything else. */
  resolve(id: string | undefined): string | undefined {
    const session = this.find(id);
    if (!session) return undefined;
    session.lastUsed = this.now();
    return session.token;
  }

  /** Ends a session (sign-out); unknown ids are ignored. */
  delete(id: string | undefined): void {
    const session = this.find(id);
    if (session) this.remove(session.idHash.toString('hex'));
  }

  get size(): number {
    return this.sessions.size;
  }

  private find(id: string | undefined): Session | undefined {
    if (id === undefined || !SESSION_ID.test(id)) return undefined;
    const idHash = hashOf(id);
    const session = this.sessions.get(idHash.toString('hex'));
    if (!session || !timingSafeEqual(session.idHash, idHash)) return undefined;
    const now = this.now();
    if (now >= session.expiresAt || now - session.lastUsed >= this.limits.idleMs) {
      this.remove(idHash.toString('hex'));
      return undefined;
    }
    return session;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, session] of this.sessions) {
      if (now >= session.expiresAt || now - session.lastUsed >= this.limits.idleMs) this.remove(key);
    }
  }

  private remove(key: string): void {
    const session = this.sessions.get(key);
    if (!session) return;
    this.sessions.delete(key);
    const own = this.byToken.get(session.tokenKey);
    own?.delete(key);
    if (own?.size === 0) this.byToken.delete(session.tokenKey);
  }
}

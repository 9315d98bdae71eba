// Console sessions (issue 12): the browser holds only a random session id in an HttpOnly cookie; the token
// it stands for stays in this node's memory, for a bounded time. Ids are looked up by their SHA-256 and
// compared in constant time; nothing here is ever persisted or logged.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface SessionLimits {
  /** A session ends this long after sign-in, whatever happens (default 8 hours). */
  readonly absoluteMs: number;
  /** A session ends when unused this long (default 30 minutes). */
  readonly idleMs: number;
  /** At most this many live sessions per node; the oldest is dropped first (default 10 000). */
  readonly maxSessions: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  absoluteMs: 8 * 3600_000,
  idleMs: 30 * 60_000,
  maxSessions: 10_000,
};

interface Session {
  readonly idHash: Buffer;
  readonly token: string;
  readonly expiresAt: number;
  lastUsed: number;
}

/** A session id: 256 random bits, base64url (43 characters). */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

const hashOf = (id: string): Buffer => createHash('sha256').update(id, 'utf8').digest();

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly limits: SessionLimits;
  private readonly now: () => number;

  constructor(limits: Partial<SessionLimits> = {}, now: () => number = Date.now) {
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...limits };
    this.now = now;
  }

  /** Opens a session for `token`, ending at the earlier of the absolute limit and `tokenExpiresAt`. */
  create(token: string, tokenExpiresAt: number | null = null): { id: string; expiresAt: number } {
    this.sweep();
    while (this.sessions.size >= this.limits.maxSessions) {
      const oldest = this.sessions.keys().next();
      if (oldest.done === true) break;
      this.sessions.delete(oldest.value);
    }
    const id = randomBytes(32).toString('base64url');
    const idHash = hashOf(id);
    const now = this.now();
    const expiresAt = Math.min(now + this.limits.absoluteMs, tokenExpiresAt ?? Number.POSITIVE_INFINITY);
    this.sessions.set(idHash.toString('hex'), { idHash, token, expiresAt, lastUsed: now });
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
    if (session) this.sessions.delete(session.idHash.toString('hex'));
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
      this.sessions.delete(idHash.toString('hex'));
      return undefined;
    }
    return session;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, session] of this.sessions) {
      if (now >= session.expiresAt || now - session.lastUsed >= this.limits.idleMs) this.sessions.delete(key);
    }
  }
}

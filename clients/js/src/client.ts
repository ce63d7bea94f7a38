// A client of a running Phonebox: its /emulator/v1 API and the emulated Auth0
// tenant's phone MFA. It needs nothing but `fetch`.

import { Auth0Error, NoMessageError, PhoneboxError } from './errors.js';
import type {
  ChaosProvider,
  ChaosRule,
  ChaosRules,
  ClockView,
  Message,
  MessagesPage,
  SendFailure,
  Tenant,
  Tokens,
} from './types.js';

const DEFAULT_URL = 'http://127.0.0.1:7676';
const DEFAULT_TIMEOUT_MS = 30_000;
/** One held request waits at most this long; a longer wait is several in a row
 * (Node's fetch gives up on an answer's headers after 300 s). */
const WAIT_SLICE_MS = 60_000;
const DEFAULT_CLIENT_ID = 'phonebox-client';
const DEFAULT_PASSWORD = 'Phonebox-test-password-1';
const MFA_OOB = 'http://auth0.com/oauth/grant-type/mfa-oob';

export interface PhoneboxOptions {
  /** Where Phonebox listens: else `PHONEBOX_URL`, else `http://127.0.0.1:7676`. */
  url?: string | undefined;
  /** The tenant every call is narrowed to unless it names another. */
  tenant?: string | undefined;
  /** The `fetch` to call (default: the global one). */
  fetch?: typeof fetch | undefined;
}

/** Which messages count: a tenant's, a user's, one MFA transaction's. */
export interface Narrowing {
  /** Default: the client's tenant, if it has one (else every tenant). */
  tenant?: string | undefined;
  userId?: string | undefined;
  transactionId?: string | undefined;
}

export interface LatestOptions extends Narrowing {
  /** The phone number (E.164, or anything Phonebox can read as one). */
  to: string;
  /** Only a newer message counts: a message id, a `Date`, or Unix ms. */
  after?: string | Date | number | undefined;
}

export interface WaitOptions extends LatestOptions {
  /** How long to wait, in ms (default 30 000). */
  timeout?: number | undefined;
}

export interface MessagesOptions extends Narrowing {
  to?: string | undefined;
  /** At most this many (the server's default is 50, its most 500). */
  limit?: number | undefined;
  /** A page's `next_cursor`, for the page after it. */
  before?: string | undefined;
}

export interface ClearOptions {
  to?: string | undefined;
  /** Default: the client's tenant, if it has one (else every tenant). */
  tenant?: string | undefined;
  userId?: string | undefined;
}

export interface CreateTenantOptions {
  /** Default: a fresh id (`t-…`). */
  id?: string | undefined;
  friendlyName?: string | undefined;
}

export interface TenantScope {
  /** Default: the client's tenant, if it has one. */
  tenant?: string | undefined;
}

export interface ChaosRuleOptions {
  /** The provider's own error code (`21611`, `Throttling`, `1`...); none for latency only. */
  error?: string | undefined;
  /** Chance in [0, 1] that the error is given (default 1). */
  probability?: number | undefined;
  /** Added before every answer of the provider. */
  latencyMs?: number | undefined;
  /** Fire this many more times, then the rule removes itself. */
  times?: number | undefined;
}

export interface MfaSignInOptions {
  /** The user's email; permissive mode (the default) creates the user on first login. */
  email: string;
  /** The phone to enroll, or the one the user enrolled already. */
  phone: string;
  /** Default: a fixed test password (permissive mode takes whatever is typed first). */
  password?: string | undefined;
  /** Default `phonebox-client` (permissive mode registers an unknown client). */
  clientId?: string | undefined;
  scope?: string | undefined;
  audience?: string | undefined;
  /** Default: the client's tenant, else `default`. */
  tenant?: string | undefined;
  /** How long to wait for the code, in ms (default 30 000). */
  timeout?: number | undefined;
}

export interface MfaSignIn {
  /** The `mfa-oob` grant's answer. */
  tokens: Tokens;
  /** The code the phone received, as typed into the grant. */
  code: string;
  message: Message;
  mfaToken: string;
  /** The user the tenant signed in (null if the tenant did not list them). */
  userId: string | null;
  /** True when this sign-in enrolled the phone; false when it challenged an enrolled one. */
  enrolled: boolean;
  /** The recovery code Auth0 shows on a user's first enrollment. */
  recoveryCodes: string[] | undefined;
}

type Query = Record<string, string | number | undefined>;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** Talks to one Phonebox server, optionally narrowed to one tenant. */
export class Phonebox {
  /** The server's base URL, without a trailing slash. */
  readonly url: string;
  /** The tenant calls are narrowed to by default, if any. */
  readonly tenant: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: PhoneboxOptions = {}) {
    const url = options.url ?? globalThis.process?.env?.PHONEBOX_URL ?? DEFAULT_URL;
    this.url = url.replace(/\/+$/, '');
    this.tenant = options.tenant;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** The same server, narrowed to `tenant`. */
  forTenant(tenant: string): Phonebox {
    return new Phonebox({ url: this.url, tenant, fetch: this.#fetch });
  }

  /** The base URL of an emulated tenant, what an app is given as its Auth0 domain:
   * the server itself for `default`, else `{url}/t/{tenant}`. */
  tenantUrl(tenant: string | undefined = this.tenant): string {
    if (tenant === undefined || tenant === 'default') return this.url;
    return `${this.url}/t/${encodeURIComponent(tenant)}`;
  }

  /** The newest message to `to` (newer than `after`), or null if there is none. */
  async latest(options: LatestOptions): Promise<Message | null> {
    const answer = await this.#latest(options, 0);
    return answer.status === 200 ? (answer.body as unknown as Message) : null;
  }

  /**
   * The newest message to `to` (newer than `after`): at once if there is one, else
   * the first to arrive within `timeout`. Without `after`, a message already there
   * counts, so trigger the send first and wait after. Rejects with
   * `NoMessageError` (with the failed send, if one failed) when none comes.
   */
  async waitForMessage(options: WaitOptions): Promise<Message> {
    const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    if (!(timeout >= 0)) throw new RangeError(`timeout must be a number of ms, not ${timeout}`);
    const deadline = Date.now() + timeout;
    for (;;) {
      const left = Math.max(0, deadline - Date.now());
      const answer = await this.#latest(options, Math.min(left, WAIT_SLICE_MS));
      if (answer.status === 200) return answer.body as unknown as Message;
      if (left <= WAIT_SLICE_MS) {
        const failure = answer.body.failure as SendFailure | undefined;
        throw new NoMessageError(this.#noMessage(options, timeout, failure), failure);
      }
    }
  }

  /** The code of the message `waitForMessage` answers. */
  async waitForCode(options: WaitOptions): Promise<string> {
    const message = await this.waitForMessage(options);
    if (message.code === null) {
      throw new PhoneboxError(`the message to ${message.to} (${message.id}) has no code: "${message.text}"`, {
        status: 200,
        code: 'no_code',
      });
    }
    return message.code;
  }

  /** A page of messages, newest first. */
  async messages(options: MessagesOptions = {}): Promise<MessagesPage> {
    const answer = await this.#emulator('GET', '/emulator/v1/messages', {
      query: {
        to: options.to,
        tenant: options.tenant ?? this.tenant,
        user_id: options.userId,
        transaction_id: options.transactionId,
        limit: options.limit,
        before: options.before,
      },
    });
    return answer.body as unknown as MessagesPage;
  }

  /** Deletes messages (a phone's, a tenant's, a user's; all of them on a client with
   * no tenant and no options); resolves with how many. */
  async clear(options: ClearOptions = {}): Promise<number> {
    const answer = await this.#emulator('DELETE', '/emulator/v1/messages', {
      query: { to: options.to, tenant: options.tenant ?? this.tenant, user_id: options.userId },
    });
    return answer.body.deleted as number;
  }

  /** Makes a tenant: its own users, clients, counters, settings and messages. */
  async createTenant(options: CreateTenantOptions = {}): Promise<Tenant> {
    const body: Record<string, unknown> = { id: options.id ?? null };
    if (options.friendlyName !== undefined) body.friendly_name = options.friendlyName;
    const answer = await this.#emulator('POST', '/emulator/v1/tenants', { json: body });
    return answer.body as unknown as Tenant;
  }

  /** Drops a tenant with everything it owns. */
  async deleteTenant(id: string): Promise<void> {
    await this.#emulator('DELETE', `/emulator/v1/tenants/${encodeURIComponent(id)}`);
  }

  /** Sets a tenant's counters back to zero (its users' rate-limit buckets, the
   * built-in provider's count). */
  async resetTenant(id: string): Promise<void> {
    await this.#emulator('POST', `/emulator/v1/tenants/${encodeURIComponent(id)}/reset`);
  }

  /** The emulated clock. With a tenant (the client's by default), that tenant's own:
   * it moves alone, on top of the global clock. Without one, the global clock, which
   * moves every tenant. */
  readonly clock = {
    /** What time it is. */
    now: async (options: TenantScope = {}): Promise<ClockView> =>
      (await this.#emulator('GET', '/emulator/v1/clock', { query: { tenant: options.tenant ?? this.tenant } }))
        .body as unknown as ClockView,
    /** Moves the clock forward by `by`: `'1h'`, `'90s'`, or a number of ms. */
    advance: async (by: string | number, options: TenantScope = {}): Promise<ClockView> =>
      (
        await this.#emulator('POST', '/emulator/v1/clock/advance', {
          query: { tenant: options.tenant ?? this.tenant },
          json: { by: typeof by === 'number' ? `${by}ms` : by },
        })
      ).body as unknown as ClockView,
    /** Back to real time. */
    reset: async (options: TenantScope = {}): Promise<ClockView> =>
      (await this.#emulator('DELETE', '/emulator/v1/clock', { query: { tenant: options.tenant ?? this.tenant } }))
        .body as unknown as ClockView,
  };

  /** Fault injection on the provider APIs (server-wide: every tenant sees it). */
  readonly chaos = {
    /** Makes `provider` fail (or answer late) as the rule says. */
    set: async (provider: ChaosProvider, rule: ChaosRuleOptions): Promise<ChaosRule> => {
      const body: Record<string, unknown> = {};
      if (rule.error !== undefined) body.error = rule.error;
      if (rule.probability !== undefined) body.probability = rule.probability;
      if (rule.latencyMs !== undefined) body.latency_ms = rule.latencyMs;
      if (rule.times !== undefined) body.times = rule.times;
      const path = `/emulator/v1/chaos/${encodeURIComponent(provider)}`;
      return (await this.#emulator('PUT', path, { json: body })).body as unknown as ChaosRule;
    },
    /** The rules in force. */
    list: async (): Promise<ChaosRules> =>
      (await this.#emulator('GET', '/emulator/v1/chaos')).body as unknown as ChaosRules,
    /** Removes one provider's rule, or every rule. */
    clear: async (provider?: ChaosProvider): Promise<void> => {
      const path = provider === undefined ? '/emulator/v1/chaos' : `/emulator/v1/chaos/${encodeURIComponent(provider)}`;
      await this.#emulator('DELETE', path);
    },
  };

  /**
   * Signs a test user in through the tenant's phone MFA, as an app does with Auth0:
   * password grant (`mfa_required`), then `/mfa/associate` for a user with no phone
   * yet (or `/mfa/challenge` for one enrolled), the code from `phone`'s inbox
   * (narrowed to the tenant and the user), then the `mfa-oob` grant.
   */
  async mfaSignIn(options: MfaSignInOptions): Promise<MfaSignIn> {
    const tenant = options.tenant ?? this.tenant ?? 'default';
    const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
    const form: Record<string, string> = {
      grant_type: 'password',
      username: options.email,
      password: options.password ?? DEFAULT_PASSWORD,
      client_id: clientId,
    };
    if (options.scope !== undefined) form.scope = options.scope;
    if (options.audience !== undefined) form.audience = options.audience;
    const login = await this.#auth0(tenant, '/oauth/token', { form });
    if (login.status === 200) {
      throw new PhoneboxError(`tenant ${tenant} signed ${options.email} in without MFA (its policy asks for none)`, {
        status: 200,
        code: 'mfa_not_required',
      });
    }
    if (login.body.error !== 'mfa_required' || typeof login.body.mfa_token !== 'string') {
      throw new Auth0Error(login.status, login.body);
    }
    const mfaToken = login.body.mfa_token;
    const requirements = (login.body.mfa_requirements ?? {}) as Record<string, unknown>;
    const enrolled = !('challenge' in requirements);
    const userId = await this.#userId(tenant, options.email);
    const narrowing = { to: options.phone, tenant, userId: userId ?? undefined };
    const before = (await this.messages({ ...narrowing, limit: 1 })).messages[0]?.id;
    const started = enrolled
      ? await this.#auth0(tenant, '/mfa/associate', {
          bearer: mfaToken,
          json: { client_id: clientId, authenticator_types: ['oob'], oob_channels: ['sms'], phone_number: options.phone },
        })
      : await this.#auth0(tenant, '/mfa/challenge', {
          json: { client_id: clientId, mfa_token: mfaToken, challenge_type: 'oob' },
        });
    if (started.status !== 200 || typeof started.body.oob_code !== 'string') {
      throw new Auth0Error(started.status, started.body);
    }
    const message = await this.waitForMessage({ ...narrowing, after: before, timeout: options.timeout });
    if (message.code === null) {
      throw new PhoneboxError(`the message to ${message.to} (${message.id}) has no code`, { status: 200, code: 'no_code' });
    }
    const grant = await this.#auth0(tenant, '/oauth/token', {
      form: {
        grant_type: MFA_OOB,
        client_id: clientId,
        mfa_token: mfaToken,
        oob_code: started.body.oob_code,
        binding_code: message.code,
      },
    });
    if (grant.status !== 200) throw new Auth0Error(grant.status, grant.body);
    return {
      tokens: grant.body as unknown as Tokens,
      code: message.code,
      message,
      mfaToken,
      userId,
      enrolled,
      recoveryCodes: started.body.recovery_codes as string[] | undefined,
    };
  }

  async #latest(options: LatestOptions, waitMs: number): Promise<Answer> {
    const after = options.after instanceof Date ? options.after.toISOString() : options.after;
    return this.#emulator('GET', `/emulator/v1/phones/${encodeURIComponent(options.to)}/latest`, {
      query: {
        wait: waitMs > 0 ? `${Math.ceil(waitMs)}ms` : undefined,
        after,
        tenant: options.tenant ?? this.tenant,
        user_id: options.userId,
        transaction_id: options.transactionId,
      },
      noMessage: true,
    });
  }

  #noMessage(options: WaitOptions, timeout: number, failure: SendFailure | undefined): string {
    const tenant = options.tenant ?? this.tenant;
    const narrowed = [
      tenant !== undefined ? `tenant ${tenant}` : '',
      options.userId !== undefined ? `user ${options.userId}` : '',
      options.transactionId !== undefined ? `transaction ${options.transactionId}` : '',
    ].filter(Boolean);
    const of = narrowed.length > 0 ? ` (${narrowed.join(', ')})` : '';
    const newer = options.after !== undefined ? 'newer ' : '';
    const why = failure ? `: the last send to it failed: ${failure.description} (${failure.type})` : '';
    return `no ${newer}message to ${options.to}${of} within ${timeout} ms${why}`;
  }

  async #userId(tenant: string, email: string): Promise<string | null> {
    const path = `/emulator/v1/tenants/${encodeURIComponent(tenant)}/users`;
    const wanted = email.toLowerCase();
    const find = async (query?: Query): Promise<string | null> => {
      const answer = await this.#emulator('GET', path, { query });
      const users = answer.body as unknown as { user_id: string; email: string | null }[];
      return users.find((u) => u.email?.toLowerCase() === wanted)?.user_id ?? null;
    };
    // Narrowed by the server; a server without the filter answers every user, and
    // one whose filter finds none is asked for the whole list.
    return (await find({ email })) ?? (await find());
  }

  async #emulator(
    method: string,
    path: string,
    { query, json, noMessage = false }: { query?: Query; json?: unknown; noMessage?: boolean } = {},
  ): Promise<Answer> {
    const url = new URL(this.url + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const init: RequestInit = { method };
    if (json !== undefined) {
      init.headers = { 'content-type': 'application/json' };
      init.body = JSON.stringify(json);
    }
    const answer = await this.#send(url, init);
    if (answer.status < 300) return answer;
    if (noMessage && answer.status === 404 && answer.body.error === 'no_message') return answer;
    const message = typeof answer.body.message === 'string' ? answer.body.message : `HTTP ${answer.status}`;
    throw new PhoneboxError(`${method} ${path}: ${message}`, {
      status: answer.status,
      code: typeof answer.body.error === 'string' ? answer.body.error : 'http_error',
      field: typeof answer.body.field === 'string' ? answer.body.field : undefined,
    });
  }

  async #auth0(
    tenant: string,
    path: string,
    { form, json, bearer }: { form?: Record<string, string>; json?: unknown; bearer?: string },
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    let body: string | undefined;
    if (form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    } else if (json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(json);
    }
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
    return this.#send(new URL(this.tenantUrl(tenant) + path), { method: 'POST', headers, body: body ?? null });
  }

  async #send(url: URL, init: RequestInit): Promise<Answer> {
    let response: Response;
    try {
      response = await this.#fetch(url, init);
    } catch (e) {
      const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : String(e);
      throw new PhoneboxError(`cannot reach Phonebox at ${this.url}: ${cause}`, { status: 0, code: 'unreachable' });
    }
    if (response.status === 204) return { status: 204, body: {} };
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (body === null || typeof body !== 'object') {
      throw new PhoneboxError(
        `${init.method} ${url.pathname}: ${response.status} with a body that is not Phonebox's JSON: ${text.slice(0, 200)}`,
        { status: response.status, code: 'unexpected_answer' },
      );
    }
    return { status: response.status, body: body as Record<string, unknown> };
  }
}

// The one transport of the UI: Phonebox's public HTTP API, same origin.

export type Channel = 'sms' | 'voice';

export interface Message {
  id: string;
  tenant: string;
  received_at: string;
  channel: Channel;
  source: string;
  to: string;
  from: string | null;
  text: string;
  code: string | null;
  action: string | null;
  purpose: string | null;
  locale: string | null;
  user_id: string | null;
  client_id: string | null;
  status: string;
  encoding: string;
  segments: number;
  provider_message_id: string | null;
  provider_account: string | null;
  attributes: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
}

export interface MessageDetail extends Message {
  request: { content_type: string | null; headers: [string, string][]; body: string };
}

export interface Phone {
  number: string;
  valid: boolean;
  count: number;
  unread: number;
  last_message: Message;
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface Filters {
  to?: string;
  q?: string;
  channel?: string;
  source?: string;
  tenant?: string;
  status?: string;
}

export class ApiError extends Error {}

export interface Health {
  status: string;
  version: string;
  paused: boolean;
  writable: boolean;
  read_only: boolean;
  notice: string | null;
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, init);
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = await res.json();
      message = body.message ?? body.error_description ?? message;
    } catch {
      /* not JSON: keep the status line */
    }
    throw new ApiError(message);
  }
  if (res.status === 204) return undefined as T;
  return res.json() as Promise<T>;
}

function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

const json = (body: unknown, method = 'POST'): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

// The Management API wants a bearer token; the emulated tenant accepts any in
// permissive mode.
const mgmt = (init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers ?? {}), authorization: 'Bearer phonebox-ui' },
});

export const api = {
  // A server whose database cannot be written answers 503 with the same body.
  health: async (): Promise<Health> => {
    const res = await fetch('/emulator/v1/health');
    if (!res.ok && res.status !== 503) throw new ApiError(`${res.status} ${res.statusText}`);
    return res.json() as Promise<Health>;
  },
  phones: async (before?: string | null, limit = 200): Promise<Page<Phone> & { unread: number }> => {
    const r = await call<{ phones: Phone[]; next_cursor: string | null; unread: number }>(
      `/emulator/v1/phones${query({ limit, before })}`,
    );
    return { items: r.phones, next: r.next_cursor, unread: r.unread };
  },
  messages: async (f: Filters, before?: string | null, limit = 100): Promise<Page<Message>> => {
    const r = await call<{ messages: Message[]; next_cursor: string | null }>(
      `/emulator/v1/messages${query({ ...f, before, limit })}`,
    );
    return { items: r.messages, next: r.next_cursor };
  },
  message: (id: string) => call<MessageDetail>(`/emulator/v1/messages/${encodeURIComponent(id)}`),
  deleteMessage: (id: string) => call<void>(`/emulator/v1/messages/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  clearPhone: (to: string) => call<unknown>(`/emulator/v1/phones/${encodeURIComponent(to)}`, { method: 'DELETE' }),
  clearAll: () => call<unknown>('/emulator/v1/messages', { method: 'DELETE' }),
  markRead: (to: string, upTo?: string) =>
    call<unknown>(`/emulator/v1/phones/${encodeURIComponent(to)}/read`, json(upTo ? { up_to: upTo } : {})),
  setPaused: (paused: boolean) => call<{ paused: boolean }>('/emulator/v1/capture', json({ paused }, 'PUT')),
  tenants: () => call<{ tenants: { id: string; friendly_name: string; domain: string }[] }>('/emulator/v1/tenants'),
  limits: (tenant: string) => call<Limits>(`/emulator/v1/limits${query({ tenant })}`),
  clock: () => call<Clock>('/emulator/v1/clock'),
  advanceClock: (by: string) => call<Clock>('/emulator/v1/clock/advance', json({ by })),
  resetClock: () => call<Clock>('/emulator/v1/clock', { method: 'DELETE' }),
  logs: (tenant: string, q?: string, perPage = 100) =>
    call<LogEvent[]>(`${tenantBase(tenant)}/api/v2/logs${query({ q, per_page: perPage })}`, mgmt()),
  selectedProvider: (tenant: string) =>
    call<{ provider: string }>(`${tenantBase(tenant)}/api/v2/guardian/factors/phone/selected-provider`, mgmt()),
  setSelectedProvider: (tenant: string, provider: string) =>
    call<{ provider: string }>(
      `${tenantBase(tenant)}/api/v2/guardian/factors/phone/selected-provider`,
      mgmt(json({ provider }, 'PUT')),
    ),
  messageTypes: (tenant: string) =>
    call<{ message_types: string[] }>(`${tenantBase(tenant)}/api/v2/guardian/factors/phone/message-types`, mgmt()),
  setMessageTypes: (tenant: string, types: string[]) =>
    call<{ message_types: string[] }>(
      `${tenantBase(tenant)}/api/v2/guardian/factors/phone/message-types`,
      mgmt(json({ message_types: types }, 'PUT')),
    ),
  templates: (tenant: string) =>
    call<Templates>(`${tenantBase(tenant)}/api/v2/guardian/factors/phone/templates`, mgmt()),
  setTemplates: (tenant: string, t: Templates) =>
    call<Templates>(`${tenantBase(tenant)}/api/v2/guardian/factors/phone/templates`, mgmt(json(t, 'PUT'))),
  chaos: () => call<{ rules: Record<string, ChaosRule>; providers: string[] }>('/emulator/v1/chaos'),
  setChaos: (provider: string, rule: ChaosRule) =>
    call<ChaosRule>(`/emulator/v1/chaos/${encodeURIComponent(provider)}`, json(rule, 'PUT')),
  clearChaos: (provider?: string) =>
    call<void>(provider ? `/emulator/v1/chaos/${encodeURIComponent(provider)}` : '/emulator/v1/chaos', {
      method: 'DELETE',
    }),
};

export const tenantBase = (tenant: string) => (tenant === 'default' ? '' : `/t/${encodeURIComponent(tenant)}`);

export interface Gauge {
  used: number;
  cap: number;
  frees_at: string | null;
}

export interface Limits {
  tenant: string;
  now: string;
  builtin_provider: Gauge;
  users: {
    user_id: string;
    email: string;
    messages_per_hour: Gauge;
    voice_per_hour: Gauge;
    failed_codes: { used: number; cap: number; locked: boolean };
  }[];
}

export interface Clock {
  now: string;
  offset_ms: number;
  offset: string;
}

export interface LogEvent {
  log_id: string;
  date: string;
  type: string;
  description: string;
  user_name: string | null;
  client_name: string | null;
  details: Record<string, unknown>;
}

export interface Templates {
  enrollment_message: string;
  verification_message: string;
}

export interface ChaosRule {
  error?: string | null;
  probability?: number;
  latency_ms?: number;
  times?: number | null;
}

// The one transport of the UI: Phonebox's public HTTP API, same origin.

import type {
  ChaosRules,
  ClockView,
  GuardianProvider,
  Health,
  LimitsView,
  LogEvent,
  Message,
  MessageDetail,
  MessagesPage,
  MessageTypes,
  PhonesPage,
  PhoneSummary,
  Rule,
  SelectedProvider,
  Tenants,
  TemplatesView,
} from './types.gen';

// The API's own shapes come from the Rust types (types.gen.ts); these names are
// the ones the components use.
export type {
  Channel,
  Gauge,
  GuardianProvider,
  Level,
  ServerEvent,
  Health,
  LogEvent,
  Message,
  MessageDetail,
  PhoneSummary as Phone,
  LimitsView as Limits,
  ClockView as Clock,
  TemplatesView as Templates,
} from './types.gen';
export type ChaosRule = Partial<Rule>;

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
  phones: async (before?: string | null, limit = 200): Promise<Page<PhoneSummary> & { unread: number }> => {
    const r = await call<PhonesPage>(
      `/emulator/v1/phones${query({ limit, before })}`,
    );
    return { items: r.phones, next: r.next_cursor, unread: r.unread };
  },
  messages: async (f: Filters, before?: string | null, limit = 100): Promise<Page<Message>> => {
    const r = await call<MessagesPage>(
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
  tenants: () => call<Tenants>('/emulator/v1/tenants'),
  limits: (tenant: string) => call<LimitsView>(`/emulator/v1/limits${query({ tenant })}`),
  clock: () => call<ClockView>('/emulator/v1/clock'),
  advanceClock: (by: string) => call<ClockView>('/emulator/v1/clock/advance', json({ by })),
  resetClock: () => call<ClockView>('/emulator/v1/clock', { method: 'DELETE' }),
  logs: (tenant: string, q?: string, perPage = 100) =>
    call<LogEvent[]>(`${tenantBase(tenant)}/api/v2/logs${query({ q, per_page: perPage })}`, mgmt()),
  selectedProvider: (tenant: string) =>
    call<SelectedProvider>(`${tenantBase(tenant)}/api/v2/guardian/factors/phone/selected-provider`, mgmt()),
  setSelectedProvider: (tenant: string, provider: GuardianProvider) =>
    call<SelectedProvider>(
      `${tenantBase(tenant)}/api/v2/guardian/factors/phone/selected-provider`,
      mgmt(json({ provider }, 'PUT')),
    ),
  messageTypes: (tenant: string) =>
    call<MessageTypes>(`${tenantBase(tenant)}/api/v2/guardian/factors/phone/message-types`, mgmt()),
  setMessageTypes: (tenant: string, types: string[]) =>
    call<MessageTypes>(
      `${tenantBase(tenant)}/api/v2/guardian/factors/phone/message-types`,
      mgmt(json({ message_types: types }, 'PUT')),
    ),
  templates: (tenant: string) =>
    call<TemplatesView>(`${tenantBase(tenant)}/api/v2/guardian/factors/phone/templates`, mgmt()),
  setTemplates: (tenant: string, t: TemplatesView) =>
    call<TemplatesView>(`${tenantBase(tenant)}/api/v2/guardian/factors/phone/templates`, mgmt(json(t, 'PUT'))),
  chaos: () => call<ChaosRules>('/emulator/v1/chaos'),
  setChaos: (provider: string, rule: ChaosRule) =>
    call<Rule>(`/emulator/v1/chaos/${encodeURIComponent(provider)}`, json(rule, 'PUT')),
  clearChaos: (provider?: string) =>
    call<void>(provider ? `/emulator/v1/chaos/${encodeURIComponent(provider)}` : '/emulator/v1/chaos', {
      method: 'DELETE',
    }),
};

export const tenantBase = (tenant: string) => (tenant === 'default' ? '' : `/t/${encodeURIComponent(tenant)}`);

// The one transport of the UI: Phonebox's public HTTP API, same origin.

import type {
  ActionView,
  AllowlistBody,
  ChaosRules,
  ClockView,
  DryRun,
  ForwardingView,
  ForwardsPage,
  FlowView,
  ForwardView,
  GuardianProvider,
  Health,
  LimitsView,
  LogEvent,
  Message,
  MessageDetail,
  MessagesPage,
  MessageTypes,
  MyPhonesBody,
  PhonesPage,
  PhoneSummary,
  ProviderSettings,
  ProviderView,
  RetentionView,
  Rule,
  RunView,
  RulesPage,
  RuleView,
  SavedPhone,
  SelectedProvider,
  Tenants,
  TenantView,
  TemplatesView,
  Trigger,
  Via,
} from './types.gen';

// The API's own shapes come from the Rust types (types.gen.ts); these names are
// the ones the components use.
export type {
  ActionView,
  Channel,
  FlowStep,
  FlowView,
  MaskedSecret,
  RunErrorView,
  RunOutcome,
  RunView,
  Trigger,
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
  RetentionView as Retention,
  TemplatesView as Templates,
  AttemptView as Attempt,
  DryRun,
  ForwardEvent,
  ForwardingView,
  ForwardView,
  ProviderSettings,
  ProviderView,
  RuleView,
  SavedPhone,
  ShownRequest,
  TenantView,
  Via,
} from './types.gen';
export type ChaosRule = Partial<Rule>;

/** `GET .../providers/twilio` (Rust's `TwilioView`, not generated: written out here).
 * The auth token is write-only; `auth_token` is read only if a later server answers
 * its mask there. */
export interface TwilioProvider {
  sid: string | null;
  from: string | null;
  messaging_service_sid: string | null;
  auth_token?: string | null;
}

/** `PUT .../providers/twilio`: it replaces the settings with these; the auth token
 * is kept when left out. */
export interface TwilioInput {
  sid?: string;
  auth_token?: string;
  from?: string;
  messaging_service_sid?: string;
}

/** `PATCH /emulator/v1/tenants/{id}`: a JSON merge patch (`null` removes a key). */
export interface TenantPatch {
  friendly_name?: string;
  settings?: Record<string, unknown>;
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

/** `GET /emulator/v1/tenants/{id}/actions` (Rust's `http::actions::Actions`, not
 * generated: its module is private to `http`). */
export interface ActionsPage {
  actions: ActionView[];
}

/** `GET .../actions/{action}/runs` (Rust's `http::actions::Runs`, written out here
 * for the same reason). */
export interface RunsPage {
  runs: RunView[];
}

/** `POST .../actions`: the Action's file, trigger and secrets. */
export interface NewActionInput {
  name?: string;
  trigger: Trigger;
  path: string;
  secrets?: Record<string, string>;
  timeout_secs?: number;
  max_memory_mb?: number;
}

/** `PATCH .../actions/{action}`: what is given changes; a secret set to null goes. */
export interface ActionPatchInput {
  name?: string;
  path?: string;
  secrets?: Record<string, string | null>;
  timeout_secs?: number;
  max_memory_mb?: number;
}

/** An error answer: the server's message, and the field at fault when it names one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status = 0,
    readonly kind: string | null = null,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

/** A provider's settings and, only when the user typed them, its credentials:
 * a credential left out keeps the stored one. */
export type ProviderInput = ProviderSettings & Partial<Record<CredentialName, string>>;
export type CredentialName = 'auth_token' | 'access_key_id' | 'secret_access_key' | 'api_key' | 'api_secret' | 'secret';

/** An auto-forward rule as sent in. */
export interface RuleInput {
  pattern: string;
  via: Via;
  to?: string | null;
  enabled?: boolean;
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, init);
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    let kind: string | null = null;
    let field: string | null = null;
    try {
      const body = await res.json();
      message = body.message ?? body.error_description ?? message;
      kind = typeof body.error === 'string' ? body.error : null;
      field = typeof body.field === 'string' ? body.field : null;
    } catch {
      /* not JSON: keep the status line */
    }
    throw new ApiError(message, res.status, kind, field);
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
  // A server whose database cannot be written answers 503 with the same body. A
  // server that does not answer within 5 s counts as lost.
  health: async (): Promise<Health> => {
    const res = await fetch('/emulator/v1/health', { signal: AbortSignal.timeout(5000) });
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
  tenant: (id: string) => call<TenantView>(`/emulator/v1/tenants/${encodeURIComponent(id)}`),
  patchTenant: (id: string, patch: TenantPatch) =>
    call<TenantView>(`/emulator/v1/tenants/${encodeURIComponent(id)}`, json(patch, 'PATCH')),
  limits: (tenant: string) => call<LimitsView>(`/emulator/v1/limits${query({ tenant })}`),
  clock: () => call<ClockView>('/emulator/v1/clock'),
  advanceClock: (by: string) => call<ClockView>('/emulator/v1/clock/advance', json({ by })),
  resetClock: () => call<ClockView>('/emulator/v1/clock', { method: 'DELETE' }),
  retention: () => call<RetentionView>('/emulator/v1/retention'),
  /** A merge patch: a value sets it, null turns it off, a field left out stays. */
  setRetention: (patch: { max_messages?: number | null; max_age?: string | null }) =>
    call<RetentionView>('/emulator/v1/retention', json(patch, 'PATCH')),
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
  twilio: (tenant: string) =>
    call<TwilioProvider>(`${tenantBase(tenant)}/api/v2/guardian/factors/phone/providers/twilio`, mgmt()),
  setTwilio: (tenant: string, input: TwilioInput) =>
    call<TwilioProvider>(
      `${tenantBase(tenant)}/api/v2/guardian/factors/phone/providers/twilio`,
      mgmt(json(input, 'PUT')),
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

  // Forwarding to real providers.
  forwarding: () => call<ForwardingView>('/emulator/v1/forwarding'),
  setAllowlist: (numbers: string[]) =>
    call<AllowlistBody>('/emulator/v1/forwarding/allowlist', json({ numbers }, 'PUT')),
  setMyPhones: (phones: SavedPhone[]) =>
    call<MyPhonesBody>('/emulator/v1/forwarding/my-phones', json({ phones }, 'PUT')),
  setForwardProvider: (via: Via, input: ProviderInput) =>
    call<ProviderView>(`/emulator/v1/forwarding/providers/${encodeURIComponent(via)}`, json(input, 'PUT')),
  removeForwardProvider: (via: Via) =>
    call<void>(`/emulator/v1/forwarding/providers/${encodeURIComponent(via)}`, { method: 'DELETE' }),
  forwardRules: () => call<RulesPage>('/emulator/v1/forwarding/rules'),
  addForwardRule: (rule: RuleInput) => call<RuleView>('/emulator/v1/forwarding/rules', json(rule)),
  updateForwardRule: (id: number, rule: RuleInput) =>
    call<RuleView>(`/emulator/v1/forwarding/rules/${id}`, json(rule, 'PUT')),
  deleteForwardRule: (id: number) => call<void>(`/emulator/v1/forwarding/rules/${id}`, { method: 'DELETE' }),
  /** A dry run: the exact request (secrets masked) and what it costs; nothing is sent. */
  previewForward: (messageId: string, via: Via, to?: string) =>
    call<DryRun>(`/emulator/v1/messages/${encodeURIComponent(messageId)}/forward`, json({ via, to, dry_run: true })),
  /** Queues a real forward; `forward.attempt` events tell how it went. */
  forward: (messageId: string, via: Via, to?: string) =>
    call<ForwardView>(`/emulator/v1/messages/${encodeURIComponent(messageId)}/forward`, json({ via, to, dry_run: false })),
  // The tenant's own Actions and Hooks, and flows as timelines.
  actions: (tenant: string) => call<ActionsPage>(actionsBase(tenant)),
  createAction: (tenant: string, input: NewActionInput) => call<ActionView>(actionsBase(tenant), json(input)),
  updateAction: (tenant: string, id: string, patch: ActionPatchInput) =>
    call<ActionView>(`${actionsBase(tenant)}/${encodeURIComponent(id)}`, json(patch, 'PATCH')),
  deleteAction: (tenant: string, id: string) =>
    call<void>(`${actionsBase(tenant)}/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  /** "Send test message": runs the Action once and answers the run. */
  testAction: (tenant: string, id: string, to: string, deliveryMethod: 'text' | 'voice') =>
    call<RunView>(`${actionsBase(tenant)}/${encodeURIComponent(id)}/test`, json({ to, delivery_method: deliveryMethod })),
  actionRuns: (tenant: string, id: string) => call<RunsPage>(`${actionsBase(tenant)}/${encodeURIComponent(id)}/runs`),
  flow: (transactionId: string) => call<FlowView>(`/emulator/v1/flows/${encodeURIComponent(transactionId)}`),
  forwardsOf: (messageId: string) =>
    call<ForwardsPage>(`/emulator/v1/messages/${encodeURIComponent(messageId)}/forwards`),
};

const actionsBase = (tenant: string) => `/emulator/v1/tenants/${encodeURIComponent(tenant)}/actions`;

export const tenantBase = (tenant: string) => (tenant === 'default' ? '' : `/t/${encodeURIComponent(tenant)}`);

// Generated from the Rust types by src/ui_types.rs: do not edit.
// `make ui-types` rewrites it after a change to those types.

/**
 * How the phone receives it.
 */
export type Channel = "sms" | "voice";

/**
 * Which receiver (wire format) a message came through.
 */
export type Source = "auth0.custom-phone-provider" | "auth0.send-phone-message" | "auth0.hook" | "auth0.builtin" | "twilio.messages" | "twilio.calls" | "twilio.verify" | "aws.sns" | "vonage.sms" | "clicksend.sms" | "esendex.messages" | "infobip.sms" | "mitto.sms" | "telesign.messaging" | "telesign.verify" | "messagebird.messages";

/**
 * Why Auth0 sent the message, in the vocabulary of the `custom-phone-provider`
 * trigger (`notification.message_type`); the legacy `action` values map onto it.
 */
export type Purpose = "otp_enroll" | "otp_verify" | "blocked_account" | "change_password" | "password_breach";

/**
 * Where a captured message stands.
 */
export type Status = "received" | "failed";

/**
 * The alphabet a text would be sent in.
 */
export type Encoding = "gsm7" | "ucs2";

/**
 * A provider error a send ended with, in the provider's own terms.
 */
export type SendError = { 
/**
 * The provider's code: `21611` for Twilio, `Throttling` for SNS, `1` for Vonage.
 */
code: string, message: string, };

/**
 * A stored message without its raw request: what lists and events carry.
 */
export type Message = { 
/**
 * ULID: sorts by arrival.
 */
id: string, tenant: string, received_at: string, channel: Channel, source: Source, to: string, 
/**
 * `to` grouped as its country writes it (`+44 7700 900123`), for people.
 */
to_display: string, from: string | null, text: string, code: string | null, action: string | null, purpose: Purpose | null, locale: string | null, user_id: string | null, client_id: string | null, status: Status, encoding: Encoding, segments: number, provider_message_id: string | null, provider_account: string | null, attributes: Record<string, unknown> | null, error: SendError | null, };

/**
 * The raw request as the API shows it.
 */
export type StoredRequest = { content_type: string | null, headers: Array<[string, string]>, 
/**
 * The body as text when it is UTF-8 (it always is for JSON and forms).
 */
body: string, };

/**
 * A stored message with the request it arrived in.
 */
export type MessageDetail = { request: StoredRequest, 
/**
 * ULID: sorts by arrival.
 */
id: string, tenant: string, received_at: string, channel: Channel, source: Source, to: string, 
/**
 * `to` grouped as its country writes it (`+44 7700 900123`), for people.
 */
to_display: string, from: string | null, text: string, code: string | null, action: string | null, purpose: Purpose | null, locale: string | null, user_id: string | null, client_id: string | null, status: Status, encoding: Encoding, segments: number, provider_message_id: string | null, provider_account: string | null, attributes: Record<string, unknown> | null, error: SendError | null, };

/**
 * One phone number that received messages.
 */
export type PhoneSummary = { number: string, 
/**
 * Whether libphonenumber knows the number as assigned; fictional test numbers
 * are captured all the same, this is only a hint.
 */
valid: boolean, count: number, 
/**
 * Messages the inbox has not shown yet.
 */
unread: number, last_message: Message, };

/**
 * One page of messages, newest first.
 */
export type MessagesPage = { messages: Array<Message>, 
/**
 * Pass as `before` to get the next (older) page; none when this page is the last.
 */
next_cursor: string | null, };

/**
 * `GET /emulator/v1/phones`.
 */
export type PhonesPage = { phones: Array<PhoneSummary>, 
/**
 * Unread messages on every phone.
 */
unread: number, next_cursor: string | null, };

/**
 * What happened, for live views (SSE, UI, held `latest` requests).
 */
export type ServerEvent = { "type": "message.created", "data": Message } | { "type": "message.deleted", "data": { id: string, } } | { "type": "messages.cleared", "data": { to: string | null, tenant: string | null, } } | { "type": "messages.pruned", "data": { deleted: number, } } | { "type": "phone.read", "data": { to: string, last_read_id: string, } } | { "type": "capture.changed", "data": { paused: boolean, } };

/**
 * `GET /emulator/v1/health`.
 */
export type Health = { 
/**
 * `ok`, or `degraded` when the database stopped taking writes.
 */
status: string, version: string, writable: boolean, read_only: boolean, held_waits: number, paused: boolean, live_views: number, 
/**
 * What the desktop shell wants shown (e.g. that it moved to another port).
 */
notice: string | null, };

/**
 * One counter as the limits view shows it (the built-in provider's lifetime).
 */
export type Gauge = { used: number, cap: number, };

/**
 * A bucket as the limits view shows it.
 */
export type Level = { 
/**
 * Tokens left now.
 */
tokens: number, burst: number, refill_secs: number, 
/**
 * When the next token comes back; none when the bucket is full.
 */
next_refill_at: string | null, };

/**
 * One user's buckets.
 */
export type UserLimits = { user_id: string, 
/**
 * The email, or the phone number of a passwordless user.
 */
email: string, 
/**
 * Messages (SMS and voice) the user can be sent now.
 */
sends: Level, 
/**
 * Wrong codes the user can enter now; at 0 every code check is refused.
 */
failed_codes: Level, };

/**
 * Every counter of a tenant.
 */
export type LimitsView = { tenant: string, now: string, builtin_provider: Gauge, users: Array<UserLimits>, };

/**
 * The clock as `/emulator/v1/clock` shows it.
 */
export type ClockView = { now: string, 
/**
 * How far ahead of real time, in ms and as `1h 30m`.
 */
offset_ms: number, offset: string, };

/**
 * Which retention values a flag set.
 */
export type SetByFlag = { max_messages: boolean, max_age: boolean, };

/**
 * `GET /emulator/v1/retention`: what is kept, and where each value comes from.
 */
export type RetentionView = { 
/**
 * The newest messages kept; none keeps every one.
 */
max_messages: number | null, 
/**
 * The oldest a message may get by the emulated clock, as `7d`, `12h`, `30m`
 * or `90s`; none keeps any age.
 */
max_age: string | null, max_age_secs: number | null, 
/**
 * Which values the command line set (`--max-messages`, `--max-age` or their
 * env twins): those stay as set while this server runs.
 */
set_by_flag: SetByFlag, 
/**
 * Messages retention deleted since this server started.
 */
pruned: number, };

/**
 * One log event, as Auth0's Management API answers it (`payloads.md`, logs).
 */
export type LogEvent = { date: string, type: string, description: string, connection: string | null, connection_id: string | null, client_id: string | null, client_name: string | null, ip: string | null, hostname: string | null, user_id: string | null, user_name: string | null, strategy: string | null, strategy_type: string | null, log_id: string, isMobile: boolean, 
/**
 * What the event is about; its keys depend on the event's type.
 */
details: Record<string, unknown>, user_agent: string | null, };

/**
 * `GET .../templates`: the tenant's, or Auth0's defaults.
 */
export type TemplatesView = { enrollment_message: string, verification_message: string, };

/**
 * `.../message-types`.
 */
export type MessageTypes = { message_types: Array<string>, };

/**
 * The legacy Guardian provider choice (`selected-provider`).
 */
export type GuardianProvider = "auth0" | "twilio" | "phone-message-hook";

/**
 * `.../selected-provider`.
 */
export type SelectedProvider = { provider: GuardianProvider, };

/**
 * A provider whose API Phonebox speaks (beyond Auth0's own shapes).
 */
export type Provider = "twilio" | "sns" | "vonage" | "clicksend" | "esendex" | "infobip" | "mitto" | "telesign" | "messagebird";

/**
 * What a provider endpoint does when its rule fires.
 */
export type Rule = { 
/**
 * The provider's own error code to answer with (`21611`, `Throttling`, `1`);
 * none for latency only.
 */
error: string | null, 
/**
 * Chance in [0, 1] that the error is given; 1 unless said.
 */
probability: number, 
/**
 * Added before every answer of this provider, failed or not.
 */
latency_ms: number, 
/**
 * Fire at most this many more times, then the rule removes itself.
 */
times: number | null, };

/**
 * `GET /emulator/v1/chaos`: the rules in force, and every provider one can be set for.
 */
export type ChaosRules = { rules: { [key in Provider]?: Rule }, providers: Array<string>, };

/**
 * A tenant as the emulator API shows it: settings, never credentials.
 */
export type TenantView = { id: string, friendly_name: string, 
/**
 * The base URL an SDK is given for this tenant.
 */
domain: string, settings: Record<string, unknown>, };

/**
 * `GET /emulator/v1/tenants`.
 */
export type Tenants = { tenants: Array<TenantView>, };

/**
 * A provider Phonebox can forward through.
 */
export type Via = "twilio" | "sns" | "vonage" | "webhook";

/**
 * A provider's non-secret settings, as stored and as sent in.
 */
export type ProviderSettings = { 
/**
 * Twilio: the account SID (`AC…`).
 */
account_sid?: string | null, 
/**
 * Twilio, Vonage: the sender (a number, a Messaging Service `MG…`, a name);
 * SNS: none (see `sender_id`).
 */
from?: string | null, 
/**
 * Twilio: the language `<Say>` speaks a voice message in (`en-US`).
 */
voice_language?: string | null, 
/**
 * SNS: the AWS region (`us-east-1`).
 */
region?: string | null, 
/**
 * SNS: `Transactional` (the default) or `Promotional`.
 */
sms_type?: string | null, 
/**
 * SNS: the `AWS.SNS.SMS.SenderID` attribute.
 */
sender_id?: string | null, 
/**
 * The webhook's URL.
 */
url?: string | null, 
/**
 * The provider's API base, for a proxy or a local fake; none = the real host.
 */
base_url?: string | null, };

export type MaskedCredential = { name: string, masked: string | null, };

/**
 * One configured provider as the API and UI show it: credentials masked.
 */
export type ProviderView = { via: Via, label: string, settings: ProviderSettings, 
/**
 * The base URL requests go to (the real host unless set).
 */
effective_base: string, 
/**
 * Each credential's name and its mask (`••••3f9a`), or none if not set.
 */
credentials: Array<MaskedCredential>, };

/**
 * A number the user keeps to forward to ("my phone").
 */
export type SavedPhone = { label: string, number: string, };

/**
 * An auto-forward rule.
 */
export type RuleView = { id: number, 
/**
 * An E.164 number, or a prefix ending in `*`.
 */
pattern: string, via: Via, 
/**
 * Where to send instead of the recipient; none = the recipient.
 */
to: string | null, enabled: boolean, };

/**
 * `GET /emulator/v1/forwarding/rules`.
 */
export type RulesPage = { rules: Array<RuleView>, };

/**
 * `PUT /emulator/v1/forwarding/allowlist`, in and out.
 */
export type AllowlistBody = { numbers: Array<string>, };

/**
 * `PUT /emulator/v1/forwarding/my-phones`, in and out.
 */
export type MyPhonesBody = { phones: Array<SavedPhone>, };

/**
 * `GET /emulator/v1/forwarding`: everything forwarding is set up with.
 */
export type ForwardingView = { 
/**
 * Numbers or `+prefix*` a forward may go to; empty = forwarding refused.
 */
allowlist: Array<string>, my_phones: Array<SavedPhone>, 
/**
 * The providers set up, credentials masked.
 */
providers: Array<ProviderView>, rules: Array<RuleView>, };

/**
 * A request as it may be shown: secrets masked, body as text.
 */
export type ShownRequest = { method: string, url: string, headers: Array<[string, string]>, body: string, };

/**
 * How the provider bills what is sent: what a dry run tells the user.
 */
export type Billing = { 
/**
 * `sms_part`, `call_minute` or `request`.
 */
unit: string, 
/**
 * SMS parts, for a text; none for a call or a webhook.
 */
parts: number | null, encoding: Encoding | null, 
/**
 * In words: "2 SMS parts (GSM-7)".
 */
summary: string, };

/**
 * What a dry run shows: the exact request, secrets masked, and its cost.
 */
export type DryRun = { dry_run: boolean, via: Via, to: string, channel: Channel, request: ShownRequest, billing: Billing, note: string | null, };

/**
 * Where a forward stands.
 */
export type ForwardState = "queued" | "sending" | "sent" | "failed" | "interrupted";

/**
 * One try at the provider.
 */
export type AttemptView = { attempt: number, at: string, 
/**
 * `accepted`, `retrying`, `failed`, `refused` or `interrupted`.
 */
outcome: string, http_status: number | null, provider_message_id: string | null, error: string | null, latency_ms: number, 
/**
 * The request as sent, secrets masked; none when nothing was sent.
 */
request: ShownRequest | null, };

/**
 * One forward and every attempt at it.
 */
export type ForwardView = { id: number, message_id: string, via: Via, to: string, channel: Channel, state: ForwardState, 
/**
 * The auto-forward rule that queued it, if one did.
 */
rule_id: number | null, created_at: string, 
/**
 * When the next try is due, while queued.
 */
next_at: string | null, provider_message_id: string | null, last_error: string | null, attempts: Array<AttemptView>, };

/**
 * `GET /emulator/v1/messages/{id}/forwards`.
 */
export type ForwardsPage = { forwards: Array<ForwardView>, };

/**
 * What happened to a forward, for live views.
 */
export type ForwardEvent = { "type": "forward.queued", "data": ForwardView } | { "type": "forward.attempt", "data": ForwardView };

/**
 * Which of Auth0's extensibility points the file is written for.
 */
export type Trigger = "send-phone-message" | "custom-phone-provider" | "hook";

export type MaskedSecret = { name: string, 
/**
 * `••••` and, for a long value, its last four characters.
 */
value: string, };

/**
 * An Action as shown: secret values masked, never in clear.
 */
export type ActionView = { id: string, tenant: string, name: string, trigger: Trigger, 
/**
 * The file run, re-read on every run.
 */
path: string, secrets: Array<MaskedSecret>, timeout_secs: number, max_memory_mb: number, 
/**
 * Whether the tenant's phone provider runs it now (Guardian
 * `phone-message-hook` with this event, or the Unified Phone custom provider).
 */
in_use: boolean, created_at: string, updated_at: string, };

/**
 * How a run ended.
 */
export type RunOutcome = "success" | "drop" | "retry" | "error" | "timeout" | "out_of_memory" | "node_missing";

/**
 * An error the Action raised, as it raised it.
 */
export type RunErrorView = { name: string, message: string, stack: string, };

/**
 * One run as kept and shown (`/emulator/v1/.../runs`, the flow timeline). Secret
 * values are masked wherever they appear.
 */
export type RunView = { id: string, action_id: string, action_name: string, tenant: string, 
/**
 * The MFA challenge, passwordless code or test this run delivered for.
 */
transaction_id: string, trigger: Trigger, 
/**
 * The file that ran.
 */
file: string, 
/**
 * 1 for the first run, up to 6 with Auth0's five retries.
 */
attempt: number, 
/**
 * When it started, on the emulated clock (RFC 3339).
 */
started_at: string, duration_ms: number, outcome: RunOutcome, 
/**
 * drop/retry's reason, or what went wrong in words.
 */
reason: string | null, error: RunErrorView | null, 
/**
 * The event the code received, as it received it (secrets masked).
 */
event: unknown, 
/**
 * Everything it printed (console.* in order, then stderr).
 */
console: string, console_truncated: boolean, 
/**
 * What the handler returned, or the Hook's callback response.
 */
returned: unknown, 
/**
 * Where the code relies on something Auth0 would not give it.
 */
warnings: Array<string>, node_version: string | null, 
/**
 * The child's process id (its process group is gone once the run ends).
 */
pid: number | null, 
/**
 * Requests it made to this Phonebox.
 */
requests_to_phonebox: number, 
/**
 * The messages its SDK calls captured here.
 */
message_ids: Array<string>, 
/**
 * When the next attempt is due, if it asked to retry and may.
 */
retry_at: string | null, };

/**
 * One step, at a moment on the tenant's emulated clock (RFC 3339).
 */
export type FlowStep = { "kind": "request", at: string, channel: string, purpose: string, user_id: string, client_id: string, 
/**
 * pending, verified, failed or expired: whether the code was entered.
 */
status: string, 
/**
 * Wrong codes typed so far.
 */
attempts: number, } | { "kind": "template", at: string, text: string | null, voice: string | null, } | { "kind": "action_run", at: string, run: RunView, } | { "kind": "message", at: string, message: Message, } | { "kind": "log", at: string, type: string, description: string | null, log: unknown, };

/**
 * A flow's timeline.
 */
export type FlowView = { transaction_id: string, tenant: string | null, steps: Array<FlowStep>, };

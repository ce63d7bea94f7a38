// The shapes Phonebox answers with, as its /emulator/v1 API and the emulated Auth0
// tenant send them (field names as on the wire).

/** How the phone receives it. */
export type Channel = 'sms' | 'voice';

/** Why Auth0 sent the message (`notification.message_type`). */
export type Purpose = 'otp_enroll' | 'otp_verify' | 'blocked_account' | 'change_password' | 'password_breach';

/** A provider error a send ended with, in the provider's own terms. */
export interface SendError {
  code: string;
  message: string;
}

/** A captured message (what `latest`, lists and events carry). */
export interface Message {
  /** ULID: sorts by arrival. */
  id: string;
  tenant: string;
  received_at: string;
  channel: Channel;
  /** The receiver it came through: `auth0.builtin`, `twilio.messages`, `aws.sns`... */
  source: string;
  to: string;
  from: string | null;
  text: string;
  /** The one-time code found in the text, if any. */
  code: string | null;
  action: string | null;
  purpose: Purpose | null;
  locale: string | null;
  user_id: string | null;
  client_id: string | null;
  status: 'received' | 'failed';
  encoding: 'gsm7' | 'ucs2';
  segments: number;
  provider_message_id: string | null;
  provider_account: string | null;
  /** `transaction_id` (the MFA transaction), `delivered_by`... */
  attributes: Record<string, unknown> | null;
  error: SendError | null;
}

/** `GET /emulator/v1/messages`: newest first. */
export interface MessagesPage {
  messages: Message[];
  /** Pass as `before` for the next page; null on the last. */
  next_cursor: string | null;
}

/** A send that failed (an Auth0 log event), as a wait that found nothing reports it. */
export interface SendFailure {
  /** Auth0's log type: `gd_send_sms_failure`, `fn`... */
  type: string;
  description: string;
  /** When it was sent (RFC 3339, emulated clock). */
  date: string;
  tenant?: string;
}

/** An emulated tenant. */
export interface Tenant {
  id: string;
  friendly_name: string;
  /** The tenant's base URL: what an Auth0 SDK or app is given as its domain. */
  domain: string;
  settings: Record<string, unknown>;
}

/** The emulated clock. */
export interface ClockView {
  now: string;
  /** How far ahead of real time, in ms and as `1h 30m`. */
  offset_ms: number;
  offset: string;
}

/** A provider Phonebox can fail on purpose. */
export type ChaosProvider =
  | 'twilio'
  | 'sns'
  | 'vonage'
  | 'clicksend'
  | 'esendex'
  | 'infobip'
  | 'mitto'
  | 'telesign'
  | 'messagebird';

/** A fault-injection rule as the server holds it. */
export interface ChaosRule {
  error: string | null;
  probability: number;
  latency_ms: number;
  times: number | null;
}

/** `GET /emulator/v1/chaos`. */
export interface ChaosRules {
  rules: Partial<Record<ChaosProvider, ChaosRule>>;
  providers: string[];
}

/** The emulated tenant's token answer. */
export interface Tokens {
  access_token: string;
  id_token?: string;
  scope: string;
  expires_in: number;
  token_type: string;
}

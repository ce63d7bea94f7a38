// Small helpers for showing messages.

import type { Message } from './api';

const SOURCES: Record<string, string> = {
  'auth0.custom-phone-provider': 'Custom Phone Provider Action',
  'auth0.send-phone-message': 'Send Phone Message Action',
  'auth0.hook': 'Send Phone Message Hook',
  'auth0.builtin': 'Auth0 built-in provider',
  'twilio.messages': 'Twilio Messages API',
  'twilio.calls': 'Twilio Calls API',
  'twilio.verify': 'Twilio Verify',
  'aws.sns': 'Amazon SNS',
  'vonage.sms': 'Vonage SMS',
  'clicksend.sms': 'ClickSend',
  'esendex.messages': 'Esendex',
  'infobip.sms': 'Infobip',
  'mitto.sms': 'Mitto',
  'telesign.messaging': 'Telesign',
  'telesign.verify': 'Telesign Verify',
  'messagebird.messages': 'MessageBird',
};

export const SOURCE_IDS = Object.keys(SOURCES);

export function sourceName(source: string): string {
  return SOURCES[source] ?? source;
}

export function time(iso: string): string {
  const d = new Date(iso);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return sameDay
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** The number grouped for reading when the server has not said how (it does:
 * `to_display`, grouped as the number's country writes it). */
export function prettyNumber(e164: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  if (m) return `+1 ${m[1]} ${m[2]} ${m[3]}`;
  return e164.replace(/^(\+\d{2})(\d+)$/, (_, cc, rest) => `${cc} ${rest.replace(/(\d{3,4})(?=\d)/g, '$1 ')}`);
}

/** The body as sent, pretty-printed when it is JSON. */
export function prettyBody(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

export function purposeLabel(m: Message): string | null {
  return m.purpose ?? m.action ?? null;
}

const VIA_NAMES: Record<string, string> = {
  twilio: 'Twilio',
  sns: 'Amazon SNS',
  vonage: 'Vonage',
  webhook: 'Webhook',
};

/** A forwarding provider as people name it. */
export function viaName(via: string): string {
  return VIA_NAMES[via] ?? via;
}

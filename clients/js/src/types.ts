// The shapes Phonebox answers with. Those of its /emulator/v1 API come from its
// OpenAPI document (src/openapi.ts, generated from docs/openapi.json by
// `npm run types`; a test fails when it is stale), so they cannot drift from the
// server. Field names are as on the wire.

import type { components } from './openapi.js';

type Schemas = components['schemas'];

/** How the phone receives it. */
export type Channel = Schemas['Channel'];

/** Why Auth0 sent the message (`notification.message_type`). */
export type Purpose = Schemas['Purpose'];

/** A provider error a send ended with, in the provider's own terms. */
export type SendError = Schemas['SendError'];

/** A captured message (what `latest`, lists and events carry). */
export type Message = Schemas['Message'];

/** `GET /emulator/v1/messages`: newest first. */
export type MessagesPage = Schemas['MessagesPage'];

/** A send that failed (an Auth0 log event), as a wait that found nothing reports it. */
export type SendFailure = Schemas['SendFailure'];

/** An emulated tenant. */
export type Tenant = Schemas['TenantView'];

/** The emulated clock. */
export type ClockView = Schemas['ClockView'];

/** A provider Phonebox can fail on purpose. */
export type ChaosProvider = Schemas['Provider'];

/** A fault-injection rule as the server holds it. */
export type ChaosRule = Schemas['ChaosRule'];

/** `GET /emulator/v1/chaos`. */
export type ChaosRules = Schemas['ChaosRules'];

/** The emulated tenant's token answer. */
export interface Tokens {
  access_token: string;
  id_token?: string;
  scope: string;
  expires_in: number;
  token_type: string;
}

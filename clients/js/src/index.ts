// @phonebox/client: wait for the codes Phonebox captures, a tenant per test, the
// clock, fault injection and Auth0 phone MFA, over `fetch` alone.

export { Phonebox } from './client.js';
export type {
  ChaosRuleOptions,
  ClearOptions,
  CreateTenantOptions,
  LatestOptions,
  MessagesOptions,
  MfaSignIn,
  MfaSignInOptions,
  Narrowing,
  PhoneboxOptions,
  TenantScope,
  WaitOptions,
} from './client.js';
export { Auth0Error, NoMessageError, PhoneboxError } from './errors.js';
export { freshPhone } from './phone.js';
export type {
  Channel,
  ChaosProvider,
  ChaosRule,
  ChaosRules,
  ClockView,
  Message,
  MessagesPage,
  Purpose,
  SendError,
  SendFailure,
  Tenant,
  Tokens,
} from './types.js';

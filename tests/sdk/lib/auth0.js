// What Auth0 hands an Action: the event object and the api object (payloads.md §2).
'use strict';

/** What every phone trigger's event carries besides its own part. */
function commonEvent(secrets) {
  return {
    client: { client_id: 'abc123', name: 'Acme Web', metadata: {} },
    user: {
      user_id: 'auth0|64f1',
      email: 'pat@example.com',
      email_verified: true,
      app_metadata: {},
      user_metadata: {},
      created_at: '2024-01-01T00:00:00.000Z',
      updated_at: '2024-01-01T00:00:00.000Z',
    },
    request: { ip: '203.0.113.9', method: 'POST', language: 'en', geoip: {} },
    secrets,
    configuration: {},
  };
}

/** A custom-phone-provider event, with the fields Auth0's type definitions list. */
function customPhoneProviderEvent({ notification, secrets }) {
  return { ...commonEvent(secrets), notification, tenant: { id: 'acme-dev', friendly_name: 'Acme' } };
}

/** The custom-phone-provider api object: drop/retry record what the Action asked for. */
function customPhoneProviderApi() {
  const calls = [];
  const cache = new Map();
  return {
    calls,
    notification: {
      drop: (reason) => calls.push(['drop', String(reason).slice(0, 1024)]),
      retry: (reason) => calls.push(['retry', String(reason).slice(0, 1024)]),
    },
    cache: {
      get: (key) => cache.get(key),
      set: (key, value) => {
        cache.set(key, { value });
        return { type: 'success', record: { value } };
      },
      delete: (key) => {
        cache.delete(key);
        return { type: 'success' };
      },
    },
  };
}

/** A send-phone-message event (payloads.md §1): message_options, no language field. */
function sendPhoneMessageEvent({ message_options, secrets }) {
  return { ...commonEvent(secrets), message_options, tenant: { id: 'acme-dev' } };
}

module.exports = { customPhoneProviderEvent, customPhoneProviderApi, sendPhoneMessageEvent };

import { test, expect } from '@phonebox/client/playwright';

test('a new user enrolls a phone and signs in with the code it was sent', async ({ phonebox, phone }) => {
  const signIn = await phonebox.mfaSignIn({ email: 'pat@example.com', phone });
  expect(signIn.enrolled).toBe(true);
  expect(signIn.message.text).toContain(signIn.code);
  expect(signIn.tokens.token_type).toBe('Bearer');
});

test('the same MFA, step by step, as an app asks Auth0', async ({ request, tenant, phone, phonebox }) => {
  const tokenUrl = `${tenant.domain}/oauth/token`;
  const login = await request.post(tokenUrl, {
    form: { grant_type: 'password', username: 'pat@example.com', password: 'pw', client_id: 'my-app' },
  });
  const { mfa_token } = await login.json();
  const enrolled = await request.post(`${tenant.domain}/mfa/associate`, {
    headers: { authorization: `Bearer ${mfa_token}` },
    data: { authenticator_types: ['oob'], oob_channels: ['sms'], phone_number: phone },
  });
  const { oob_code } = await enrolled.json();
  const binding_code = await phonebox.waitForCode({ to: phone });
  const grant_type = 'http://auth0.com/oauth/grant-type/mfa-oob';
  const tokens = await request.post(tokenUrl, { form: { grant_type, client_id: 'my-app', mfa_token, oob_code, binding_code } });
  expect(tokens.status()).toBe(200);
});

import { test, expect } from '@phonebox/client/playwright';

test('fails after its phone got a code', async ({ phonebox, phone }) => {
  await phonebox.mfaSignIn({ email: 'fail@example.com', phone });
  expect('the code').toBe('never typed');
});

/**
 * Registers a Matrix user through Synapse's shared-secret admin API (idempotent: an existing
 * user is fine). Used by scripts/local.sh to create the person who talks to the agents.
 *
 *   tsx scripts/register-user.ts <localpart> <password>
 * with MATRIX_HOMESERVER and MATRIX_REGISTRATION_SHARED_SECRET in the environment.
 */
import { createHmac } from 'node:crypto';

const [localpart, password] = process.argv.slice(2);
const homeserver = process.env['MATRIX_HOMESERVER'];
const secret = process.env['MATRIX_REGISTRATION_SHARED_SECRET'];
if (
  localpart === undefined ||
  password === undefined ||
  homeserver === undefined ||
  secret === undefined
) {
  console.error(
    'usage: tsx scripts/register-user.ts LOCALPART PASSWORD (needs MATRIX_HOMESERVER, MATRIX_REGISTRATION_SHARED_SECRET)',
  );
  process.exit(64);
}
const url = `${homeserver}/_synapse/admin/v1/register`;
const { nonce } = (await (await fetch(url)).json()) as { nonce: string };
const mac = createHmac('sha1', secret)
  .update(`${nonce}\0${localpart}\0${password}\0notadmin`)
  .digest('hex');
const response = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ nonce, username: localpart, password, admin: false, mac }),
});
const body = (await response.json()) as { user_id?: string; errcode?: string; error?: string };
if (response.ok) {
  console.log(`registered ${body.user_id ?? localpart}`);
} else if (body.errcode === 'M_USER_IN_USE') {
  console.log(`@${localpart} already exists`);
} else {
  console.error(
    `could not register @${localpart}: ${body.errcode ?? response.status} ${body.error ?? ''}`,
  );
  process.exit(1);
}

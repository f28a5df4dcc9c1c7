import t from 'tap';
import type { AccountEvent } from '../../src/accounts/events.js';
import type { StoredEvent } from '../../src/event-store/types.js';
import { accountDirectory } from '../../projections/account-directory.js';
import { foldRows } from './fold.js';

const accountId = '0192f0c4-7a6b-7d3e-9c1a-2b3c4d5e6f70';
const practitionerId = '0192f0c4-7a6b-7d3e-9c1a-000000000003';

function stream(...events: AccountEvent[]): StoredEvent[] {
  return events.map((event, index) => ({
    position: 10 + index,
    transactionId: String(700 + index),
    streamId: accountId,
    streamType: 'account',
    streamVersion: index + 1,
    eventId: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    type: event.type,
    schemaVersion: 1,
    data: event.data,
    metadata: { actorId: null, actorRole: 'admin' },
    recordedAt: new Date(Date.UTC(2026, 0, 1 + index)),
  }));
}

const fold = (events: StoredEvent[]) => foldRows(accountDirectory, events).get(accountId);

t.test('an account folds into one directory row, never holding a secret', async (t) => {
  const row = fold(
    stream(
      {
        type: 'AccountRegistered',
        data: { accountId, email: 'Grace@Example.org', phone: null, username: 'grace', firstName: 'Grace', lastName: 'Hopper', registeredVia: 'admin' },
      },
      { type: 'RoleGranted', data: { accountId, role: 'practitioner' } },
      { type: 'AccountLinkedToPractitioner', data: { accountId, practitionerId } },
      { type: 'PasswordResetRequested', data: { accountId } },
      { type: 'PasswordReset', data: { accountId } },
      { type: 'EmailVerified', data: { accountId, email: 'grace@example.org' } },
      { type: 'AccountProfileUpdated', data: { accountId, changes: { lastName: 'Murray Hopper', phone: '+15551234567' } } },
      { type: 'AccountDeactivated', data: { accountId, reason: 'retired' } },
    ),
  );
  t.same(row, {
    account_id: accountId,
    role: 'practitioner',
    email: 'Grace@Example.org',
    email_verified: true,
    phone: '+15551234567',
    username: 'grace',
    first_name: 'Grace',
    last_name: 'Murray Hopper',
    active: false,
    patient_id: null,
    practitioner_id: practitionerId,
    version: 8,
    position: 17,
    registered_at: new Date(Date.UTC(2026, 0, 1)),
    updated_at: new Date(Date.UTC(2026, 0, 8)),
  });
});

t.test('a new email is unverified until its own link is followed', async (t) => {
  const row = fold(
    stream(
      { type: 'AccountRegistered', data: { accountId, email: 'a@example.org', phone: null, username: null, firstName: 'A', lastName: 'B', registeredVia: 'self' } },
      { type: 'EmailVerified', data: { accountId, email: 'a@example.org' } },
      { type: 'EmailChanged', data: { accountId, email: 'b@example.org' } },
    ),
  );
  t.match(row, { email: 'b@example.org', email_verified: false });
});

t.test('events of an account the directory never saw registered leave no row', async (t) => {
  t.equal(fold(stream({ type: 'RoleGranted', data: { accountId, role: 'admin' } })), undefined);
});

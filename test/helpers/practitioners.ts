import { v4 as uuid, v7 as uuidv7 } from 'uuid';
import type { EventStore } from '../../src/event-store/store.js';

/**
 * A practitioner profile as the practitioners slice records it: registered, and verified by an
 * admin unless `pending`. Appended straight to the store, so care-team tests do not depend on the
 * accounts and practitioners routes.
 */
export async function givenPractitioner(store: EventStore, standing: 'verified' | 'pending' = 'verified') {
  const practitionerId = uuidv7();
  const accountId = uuidv7();
  const metadata = { actorId: uuid(), actorRole: 'admin' };
  const event = (type: string, data: object) => ({
    eventId: uuidv7(),
    type,
    schemaVersion: 1,
    data,
    metadata,
    recordedAt: new Date(),
  });
  await store.append({
    streamId: practitionerId,
    streamType: 'practitioner',
    expectedVersion: 0,
    events: [
      event('PractitionerRegistered', { practitionerId, accountId, firstName: 'Ngozi', lastName: 'Okafor' }),
      ...(standing === 'verified' ? [event('PractitionerVerified', { practitionerId, verifiedBy: metadata.actorId })] : []),
    ],
  });
  return {
    practitionerId,
    accountId,
    caller: { role: 'practitioner' as const, id: accountId, practitionerId },
  };
}

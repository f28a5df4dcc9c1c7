import type { DomainEvent } from '../event-store/types.js';

// The care team (src/patients/) reads this stream by these names: keep them as they are.
export const PRACTITIONER_STREAM = 'practitioner';

export type PractitionerRegistered = DomainEvent<
  'PractitionerRegistered',
  { practitionerId: string; accountId: string; firstName: string; lastName: string }
>;
/** An admin checked who the practitioner is; until then they may sign in but reach no patient. */
export type PractitionerVerified = DomainEvent<'PractitionerVerified', { practitionerId: string; verifiedBy: string }>;

export type PractitionerEvent = PractitionerRegistered | PractitionerVerified;

export const PRACTITIONER_EVENT_VERSIONS: Record<PractitionerEvent['type'], number> = {
  PractitionerRegistered: 1,
  PractitionerVerified: 1,
};

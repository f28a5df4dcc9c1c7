export interface RegisterPractitioner {
  type: 'RegisterPractitioner';
  practitionerId: string;
  accountId: string;
  firstName: string;
  lastName: string;
}

export interface VerifyPractitioner {
  type: 'VerifyPractitioner';
  practitionerId: string;
  /** The admin's account id. */
  verifiedBy: string;
}

export type PractitionerCommand = RegisterPractitioner | VerifyPractitioner;

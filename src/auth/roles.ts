export const ROLES = ['patient', 'practitioner', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

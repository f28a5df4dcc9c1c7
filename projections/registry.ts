import { accountDirectory } from './account-directory.js';
import { careTeam } from './care-team.js';
import { patientSummary } from './patient-summary.js';
import type { AnyProjection } from './projection.js';

/** Every read model the workers keep up to date. */
export const projections: readonly AnyProjection[] = [patientSummary, careTeam, accountDirectory];

export function projectionNamed(name: string): AnyProjection | undefined {
  return projections.find((projection) => projection.name === name);
}

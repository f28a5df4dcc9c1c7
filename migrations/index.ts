import type { Migration } from 'kysely';
import * as eventStore from './0001_event_store.js';
import * as projectionCheckpoints from './0002_projection_checkpoints.js';
import * as patientSummary from './0003_patient_summary.js';
import * as credentialsAndSessions from './0004_credentials_and_sessions.js';
import * as mailOutbox from './0005_mail_outbox.js';
import * as accountDirectory from './0006_account_directory.js';
import * as careTeam from './0010_care_team.js';
import * as appendAfterCommitRelyingOnStreams from './0011_append_after_commit_relying_on_streams.js';
import * as roomForHotUpdates from './0012_room_for_hot_updates.js';
import * as appendEventsBatch from './0013_append_events_batch.js';
import * as streamSnapshots from './0014_stream_snapshots.js';
import * as readsAndAppendsShareRoundTrips from './0015_reads_and_appends_share_round_trips.js';
import * as refreshSuccessorsAndOidcCodes from './0016_refresh_successors_and_oidc_codes.js';
import * as eventStoreFunctionsInOnePlace from './0017_event_store_functions_in_one_place.js';

// Listed, not discovered: the order is part of the schema's history, and a compiled build needs no
// directory scan. Released migrations are frozen; change the schema by adding one. The event
// store's functions are the exception to writing SQL out here: their current text lives in
// src/event-store/schema.sql.ts, and a migration that changes one installs them from there and
// records their digests (as 0017 does; that file's header has the rule).
export const migrations: Record<string, Migration> = {
  '0001_event_store': eventStore,
  '0002_projection_checkpoints': projectionCheckpoints,
  '0003_patient_summary': patientSummary,
  '0004_credentials_and_sessions': credentialsAndSessions,
  '0005_mail_outbox': mailOutbox,
  '0006_account_directory': accountDirectory,
  '0010_care_team': careTeam,
  '0011_append_after_commit_relying_on_streams': appendAfterCommitRelyingOnStreams,
  '0012_room_for_hot_updates': roomForHotUpdates,
  '0013_append_events_batch': appendEventsBatch,
  '0014_stream_snapshots': streamSnapshots,
  '0015_reads_and_appends_share_round_trips': readsAndAppendsShareRoundTrips,
  '0016_refresh_successors_and_oidc_codes': refreshSuccessorsAndOidcCodes,
  '0017_event_store_functions_in_one_place': eventStoreFunctionsInOnePlace,
};

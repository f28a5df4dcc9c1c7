/**
 * A command saves its stream's state with its append (a snapshot, migration 0014) once this many
 * events lie past the latest one: a command then folds at most two events besides the snapshot,
 * and a registration (two events) saves nothing that no command has needed yet.
 */
export const SNAPSHOT_AFTER_EVENTS = 3;

/** Whether an append that leaves `sinceSnapshot` events past the latest snapshot should save one. */
export const snapshotDue = (sinceSnapshot: number): boolean => sinceSnapshot >= SNAPSHOT_AFTER_EVENTS;

// CONTRACT SKELETON — the metadata helper implements this; see its prompt for the semantics.
export class LockManager {}

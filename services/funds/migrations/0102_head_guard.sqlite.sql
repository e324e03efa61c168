-- The chain's head only moves forward and is never deleted, so the newest transactions
-- cannot be cut off the chain by rewinding it.
CREATE TRIGGER ledger_head_no_rewind BEFORE UPDATE ON ledger_head WHEN NEW.last_seq < OLD.last_seq
BEGIN
    SELECT RAISE(ABORT, 'the ledger head only moves forward: UPDATE refused');
END;
CREATE TRIGGER ledger_head_no_delete BEFORE DELETE ON ledger_head
BEGIN
    SELECT RAISE(ABORT, 'the ledger head only moves forward: DELETE refused');
END;

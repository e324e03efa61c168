-- The chain's head only moves forward and is never deleted, so the newest transactions
-- cannot be cut off the chain by rewinding it.
CREATE FUNCTION ledger_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.last_seq < OLD.last_seq THEN
        RAISE EXCEPTION 'the ledger head only moves forward: % refused', TG_OP;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER ledger_head_forward_only BEFORE UPDATE OR DELETE ON ledger_head
    FOR EACH ROW EXECUTE FUNCTION ledger_head_forward_only();

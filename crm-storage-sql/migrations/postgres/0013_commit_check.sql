-- The check at the end of a commit written as one statement (crm-storage-sql's
-- one_statement module): `counts` holds, for each versioned UPDATE or DELETE of the commit, the
-- rows it changed, and for each version assertion the rows found at the expected version.
-- Each must be 1; otherwise the statement fails with SQLSTATE CR001, which undoes all of it,
-- and the store runs the commit again statement by statement to report which record conflicts.

CREATE FUNCTION "crm_commit_check"("counts" bigint[]) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM unnest("counts") AS c WHERE c <> 1) THEN
        RAISE EXCEPTION 'a record of the commit is not at the version the commit expects'
            USING ERRCODE = 'CR001';
    END IF;
    RETURN cardinality("counts");
END
$$;

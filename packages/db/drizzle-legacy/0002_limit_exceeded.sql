-- Custom SQL migration file, put your code below! --
-- recordUsage with enforceLimits is one statement: when the monthly row refuses an event whose
-- ledger row the same statement inserted, calling this aborts the statement, so nothing of the
-- event stays (no transaction round trips needed).
CREATE OR REPLACE FUNCTION usagekit_limit_exceeded() RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION 'usagekit: limit exceeded' USING ERRCODE = 'UK001';
END
$$;

-- A refusal names what refused it: the enforcing statement calls this with the feature, the usage
-- on the row's latest version, the limit and the amount requested, and the caller reads them from
-- the error's DETAIL (SQLSTATE UK001). Nothing of the refused event stays: the statement aborts.
CREATE OR REPLACE FUNCTION "usagekit"."limit_exceeded"(detail jsonb) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION 'usagekit: limit exceeded' USING ERRCODE = 'UK001', DETAIL = detail::text;
END
$$;

-- The pricing lab's replay step (analytics.simulateCatalog): a learner's month of events in time
-- order under draft hard limits. Used as a window aggregate (ORDER BY the event's place), it
-- answers per event the totals accepted so far (one per feature, in the catalog's order) and, as
-- the last element, 1 when this event was accepted: it fits every limit (NULL: unlimited) on top
-- of what was accepted before; a refused event adds nothing, and later ones are judged without it.
CREATE FUNCTION "usagekit"."simulate_step"(state bigint[], amounts bigint[], limits bigint[]) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  n int := cardinality(amounts);
  acc bigint[] := CASE WHEN cardinality(state) = 0 THEN array_fill(0::bigint, ARRAY[n]) ELSE state[1:n] END;
  ok boolean := true;
BEGIN
  FOR i IN 1..n LOOP
    IF amounts[i] > 0 AND limits[i] IS NOT NULL AND acc[i] + amounts[i] > limits[i] THEN
      ok := false;
    END IF;
  END LOOP;
  IF ok THEN
    FOR i IN 1..n LOOP acc[i] := acc[i] + amounts[i]; END LOOP;
  END IF;
  RETURN acc || (CASE WHEN ok THEN 1 ELSE 0 END)::bigint;
END
$$;--> statement-breakpoint
CREATE AGGREGATE "usagekit"."simulate"(bigint[], bigint[]) (SFUNC = "usagekit"."simulate_step", STYPE = bigint[], INITCOND = '{}');

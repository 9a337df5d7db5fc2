-- The gateway (`sluice gateway`) records every model call, failed ones too:
-- `status` is the model server's HTTP status, or 0 when it gave no answer
-- (connection refused, timeout). A row the gateway recorded always has a
-- status; a row without one (ingested through the API) still needs an
-- output. A failed call (status 0 or >= 400), or a 2xx answer whose output
-- could not be read, is stored with its status and latency and no output.

ALTER TABLE predictions ADD COLUMN status integer NULL CHECK (status IS NULL OR status BETWEEN 0 AND 999);
ALTER TABLE predictions DROP CONSTRAINT predictions_check;
ALTER TABLE predictions ADD CONSTRAINT predictions_output_or_status
    CHECK (output_number IS NOT NULL OR output_label IS NOT NULL OR status IS NOT NULL);

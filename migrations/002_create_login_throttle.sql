-- Failed-login counters, per username and per client address, shared by every instance.
-- key is 'user:<lowercased username>' or 'ip:<address>'.
CREATE TABLE login_throttle (
  key text PRIMARY KEY,
  failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  locked_until timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

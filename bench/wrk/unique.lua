-- GET the URL's path with a query that changes on every request, so that no two request
-- heads are byte-identical (defeats any per-connection reuse of a previous head's parse).
-- Usage: wrk -s unique.lua <url>

local counter = 0

request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "?n=" .. counter)
end

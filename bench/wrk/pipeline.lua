-- HTTP/1.1 pipelining: every write carries <depth> GET requests for the URL's path (default 16).
-- Usage: wrk -s pipeline.lua <url> [depth]
-- wrk counts responses, so Requests/sec is requests, not writes.

init = function(args)
  local depth = tonumber(args[1]) or 16
  local requests = {}
  for i = 1, depth do
    requests[i] = wrk.format(nil, wrk.path)
  end
  pipelined = table.concat(requests)
end

request = function()
  return pipelined
end

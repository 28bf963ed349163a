-- GET the URL's path, waiting <interval-ms> after each response before the next request, so
-- that the probe itself keeps the server mostly idle. Latency is measured from each write.
-- Usage: wrk -s paced.lua <url> [interval-ms]

init = function(args)
  interval = tonumber(args[1]) or 1
end

delay = function()
  return interval
end

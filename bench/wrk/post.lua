-- POST to the URL with the body read from a file; wrk adds Content-Length.
-- Usage: wrk -s post.lua <url> <body-file> [content-type]

init = function(args)
  local file = assert(io.open(args[1], "rb"))
  wrk.body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = args[2] or "application/json"
end

-- GET the URL with an Authorization: Bearer <token> field.
-- Usage: wrk -s bearer.lua <url> <token>

init = function(args)
  wrk.headers["Authorization"] = "Bearer " .. args[1]
end
